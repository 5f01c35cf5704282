package xtest

import (
	"errors"
	"fmt"
	"image"

	"github.com/jezek/xgb/randr"
	"github.com/jezek/xgb/xproto"

	"github.com/demoguard/demoguard/scanner/internal/xext"
)

// Several Xvfb screens all report origin 0,0 (see NOTES), so side-by-side
// monitors are modelled as RandR 1.5 monitors carved out of one wide screen
// — the same request `xrandr --setmonitor` sends, issued directly so tests
// need no x11-xserver-utils. Monitors may even start at negative offsets
// (the server accepts them); the part outside the screen has no pixels.

// SetMonitor defines (or redefines) the RandR monitor name covering r.
// withOutput attaches the screen's first output to it, which removes the
// server's automatic whole-screen monitor; give it to exactly one monitor.
func SetMonitor(display, name string, r image.Rectangle, withOutput bool) error {
	c, err := connect(display)
	if err != nil {
		return err
	}
	defer c.x.Close()
	if err := c.setMonitor(name, r, withOutput); err != nil {
		return fmt.Errorf("xtest: set monitor %s %v on %s: %w", name, r, display, err)
	}
	return nil
}

// DeleteMonitor removes the RandR monitor name (as a monitor being unplugged).
// Deleting the one holding the output brings back the automatic monitor.
func DeleteMonitor(display, name string) error {
	c, err := connect(display)
	if err != nil {
		return err
	}
	defer c.x.Close()
	// Not randr.Init: a watch running in this test process receives
	// events on another connection (see scanner/internal/xext).
	if err := xext.Init(c.x, "RANDR", randr.Init); err != nil {
		return fmt.Errorf("xtest: RandR on %s: %w", display, err)
	}
	atom, err := c.atom(name)
	if err != nil {
		return err
	}
	if err := randr.DeleteMonitorChecked(c.x, c.screen.Root, atom).Check(); err != nil {
		return fmt.Errorf("xtest: delete monitor %s on %s: %w", name, display, err)
	}
	return nil
}

// SplitMonitors replaces the single automatic monitor of a (wide) screen by
// monitors named DG-0, DG-1, … covering rects; DG-0 takes the output.
func SplitMonitors(display string, rects ...image.Rectangle) ([]string, error) {
	if len(rects) == 0 {
		return nil, errors.New("xtest: SplitMonitors needs at least one rectangle")
	}
	c, err := connect(display)
	if err != nil {
		return nil, err
	}
	defer c.x.Close()
	names := make([]string, len(rects))
	for i, r := range rects {
		names[i] = fmt.Sprintf("DG-%d", i)
		if err := c.setMonitor(names[i], r, i == 0); err != nil {
			return nil, fmt.Errorf("xtest: split %s into monitors: %s %v: %w", display, names[i], r, err)
		}
	}
	return names, nil
}

func (c *client) setMonitor(name string, r image.Rectangle, withOutput bool) error {
	// Not randr.Init: a watch running in this test process receives
	// events on another connection (see scanner/internal/xext).
	if err := xext.Init(c.x, "RANDR", randr.Init); err != nil {
		return fmt.Errorf("RandR: %w", err)
	}
	atom, err := c.atom(name)
	if err != nil {
		return err
	}
	// Redefining a monitor in place with a different size is refused
	// (BadValue, seen with xrandr too): delete it first. Deleting one that
	// does not exist is a BadName error we do not care about.
	_ = randr.DeleteMonitorChecked(c.x, c.screen.Root, atom).Check()
	var outputs []randr.Output
	if withOutput {
		res, err := randr.GetScreenResourcesCurrent(c.x, c.screen.Root).Reply()
		if err != nil {
			return fmt.Errorf("screen resources: %w", err)
		}
		if len(res.Outputs) == 0 {
			return errors.New("screen has no RandR output")
		}
		outputs = res.Outputs[:1]
	}
	// Physical size as at 96 dpi; clients compute DPI from it.
	mm := func(px int) uint32 { return uint32(px * 254 / 960) }
	m := randr.MonitorInfo{
		Name:                atom,
		Primary:             withOutput,
		NOutput:             uint16(len(outputs)),
		X:                   int16(r.Min.X),
		Y:                   int16(r.Min.Y),
		Width:               uint16(r.Dx()),
		Height:              uint16(r.Dy()),
		WidthInMillimeters:  mm(r.Dx()),
		HeightInMillimeters: mm(r.Dy()),
		Outputs:             outputs,
	}
	return randr.SetMonitorChecked(c.x, c.screen.Root, m).Check()
}

func (c *client) atom(name string) (xproto.Atom, error) {
	r, err := xproto.InternAtom(c.x, false, uint16(len(name)), name).Reply()
	if err != nil {
		return 0, fmt.Errorf("intern atom %q: %w", name, err)
	}
	return r.Atom, nil
}
