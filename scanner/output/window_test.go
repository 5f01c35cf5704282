//go:build linux

package output

import (
	"context"
	"errors"
	"image"
	"image/color"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
)

// grab reads r of the root window as RGBA (the real screen content, as a
// meeting app or OBS would capture it).
func grab(t *testing.T, display string, r image.Rectangle) *image.RGBA {
	t.Helper()
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	root := xproto.Setup(x).DefaultScreen(x).Root
	rep, err := xproto.GetImage(x, xproto.ImageFormatZPixmap, xproto.Drawable(root),
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0xffffffff).Reply()
	if err != nil {
		t.Fatalf("GetImage %v: %v", r, err)
	}
	img := image.NewRGBA(image.Rect(0, 0, r.Dx(), r.Dy()))
	for i := 0; i < r.Dx()*r.Dy(); i++ {
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = rep.Data[4*i+2], rep.Data[4*i+1], rep.Data[4*i], 255
	}
	return img
}

// waitScreen polls until the screen area r shows want (the window puts
// frames asynchronously), returning the last grab.
func waitScreen(t *testing.T, display string, r image.Rectangle, match func(*image.RGBA) bool) (*image.RGBA, bool) {
	t.Helper()
	var got *image.RGBA
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		got = grab(t, display, r)
		if match(got) {
			return got, true
		}
	}
	return got, false
}

func samePixels(a, b *image.RGBA) (int, image.Point) {
	diff, first := 0, image.Pt(-1, -1)
	for y := 0; y < a.Rect.Dy(); y++ {
		for x := 0; x < a.Rect.Dx(); x++ {
			p, q := a.RGBAAt(x, y), b.RGBAAt(x, y)
			if p.R != q.R || p.G != q.G || p.B != q.B {
				if diff == 0 {
					first = image.Pt(x, y)
				}
				diff++
			}
		}
	}
	return diff, first
}

// TestWindowOnSecondMonitor: one wide Xvfb screen with two monitors given
// explicitly; window:1 covers the second monitor exactly and shows the
// frames written, pixel for pixel at 1:1, letterboxed when the aspect
// differs.
func TestWindowOnSecondMonitor(t *testing.T) {
	display := xtest.StartXvfb(t, "3200x1080x24")
	mons := []image.Rectangle{image.Rect(0, 0, 1600, 1080), image.Rect(1600, 0, 3200, 1080)}
	tg, _ := ParseTarget("window:1")
	out, err := Open(context.Background(), tg, Options{Width: 1600, Height: 1080, Display: display, Monitors: mons})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if b := out.Bounds(); b != mons[1] {
		t.Fatalf("Bounds = %v, want monitor 1 %v", b, mons[1])
	}
	// Before any frame: the neutral checking frame.
	chk := CheckingFrame(1600, 1080)
	if got, ok := waitScreen(t, display, mons[1], func(g *image.RGBA) bool { n, _ := samePixels(g, chk); return n == 0 }); !ok {
		n, p := samePixels(got, chk)
		t.Fatalf("before the first frame: %d pixels differ from the checking frame (first at %v)", n, p)
	}
	for i := range 3 {
		f := testFrame(1600, 1080, i)
		if !out.Write(f, time.Duration(i)*time.Second) {
			t.Fatalf("Write %d refused: %+v", i, out.Stats())
		}
		got, ok := waitScreen(t, display, mons[1], func(g *image.RGBA) bool { n, _ := samePixels(g, f); return n == 0 })
		if !ok {
			n, p := samePixels(got, f)
			t.Fatalf("frame %d: %d pixels on monitor 1 differ from the frame (first at %v: got %v want %v)", i, n, p, got.RGBAAt(p.X, p.Y), f.RGBAAt(p.X, p.Y))
		}
	}
	// Monitor 0 is untouched (the root background: black).
	if got := grab(t, display, image.Rect(1590, 500, 1600, 510)); got.RGBAAt(5, 5) != (color.RGBA{0, 0, 0, 255}) {
		t.Errorf("monitor 0 next to the window shows %v", got.RGBAAt(5, 5))
	}
	if st := out.Stats(); st.Written != 3 || st.Err != "" {
		t.Errorf("stats %+v", st)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if b := out.Bounds(); !b.Empty() {
		t.Errorf("Bounds after Close = %v", b)
	}

	// 4:3 frames on the 1600×1080 monitor: 1440×1080 centred, black bars.
	out2, err := Open(context.Background(), tg, Options{Width: 800, Height: 600, Display: display, Monitors: mons})
	if err != nil {
		t.Fatal(err)
	}
	defer out2.Close()
	f := testFrame(800, 600, 7)
	out2.Write(f, 0)
	inner := image.Rect(80, 0, 1520, 1080)
	got, ok := waitScreen(t, display, mons[1], func(g *image.RGBA) bool {
		return g.RGBAAt(40, 540) == color.RGBA{0, 0, 0, 255} && g.RGBAAt(1560, 540) == color.RGBA{0, 0, 0, 255} &&
			g.RGBAAt(inner.Min.X+10, 10) == f.RGBAAt(5, 5)
	})
	if !ok {
		t.Fatalf("letterboxed frame not shown: bars %v %v, corner %v want %v", got.RGBAAt(40, 540), got.RGBAAt(1560, 540), got.RGBAAt(inner.Min.X+10, 10), f.RGBAAt(5, 5))
	}
	// Each frame pixel (x, y) maps to a 1.8×1.8 block; check block centres.
	bad := 0
	for y := 0; y < 600; y += 7 {
		for x := 0; x < 800; x += 7 {
			sx, sy := inner.Min.X+int((float64(x)+0.5)*1.8), int((float64(y)+0.5)*1.8)
			if got.RGBAAt(sx, sy) != f.RGBAAt(x, y) {
				bad++
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d sampled pixels of the scaled frame differ", bad)
	}

	// Monitors nil: asked from the server, numbered as capture numbers
	// displays (--display): RandR monitors carved out of the screen.
	if _, err := xtest.SplitMonitors(display, mons...); err != nil {
		t.Fatal(err)
	}
	out3, err := Open(context.Background(), tg, Options{Width: 64, Height: 48, Display: display})
	if err != nil {
		t.Fatal(err)
	}
	if b := out3.Bounds(); b != mons[1] {
		t.Errorf("window:1 with monitors from the server: Bounds %v, want %v", b, mons[1])
	}
	out3.Close()

	// window:N beyond the monitors: ErrNoMonitor, whether the monitors are
	// given or asked from the server.
	for _, o := range []Options{{Monitors: mons}, {}} {
		o.Width, o.Height, o.Display = 64, 48, display
		_, err = Open(context.Background(), Target{Kind: KindWindow, Monitor: 2}, o)
		if !errors.Is(err, ErrNoMonitor) {
			t.Errorf("window:2 with monitors %v: %v, want ErrNoMonitor", o.Monitors, err)
		}
	}
}

// TestPlainWindow: "window" is a normal, titled, resizable window; Bounds
// follows it, and the frame is scaled to its new size.
func TestPlainWindow(t *testing.T) {
	display := xtest.StartXvfb(t, "1280x720x24")
	out, err := Open(context.Background(), Target{Kind: KindWindow, Monitor: -1}, Options{Width: 640, Height: 360, Display: display})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	b := out.Bounds()
	if b.Size() != image.Pt(640, 360) {
		t.Fatalf("Bounds = %v, want a 640×360 window", b)
	}
	w := out.(*window)
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	name, err := xproto.GetProperty(x, false, w.win, xproto.AtomWmName, xproto.AtomString, 0, 64).Reply()
	if err != nil || string(name.Value) != WindowTitle {
		t.Errorf("WM_NAME = %q (%v), want %q", name.Value, err, WindowTitle)
	}
	f := testFrame(640, 360, 3)
	out.Write(f, 0)
	if got, ok := waitScreen(t, display, b, func(g *image.RGBA) bool { n, _ := samePixels(g, f); return n == 0 }); !ok {
		n, _ := samePixels(got, f)
		t.Fatalf("%d pixels differ", n)
	}
	// Move and enlarge it as a user (or WM) would: Bounds follows, and the
	// frame fills the new size.
	moved := image.Rect(100, 50, 100+1000, 50+562)
	if err := xproto.ConfigureWindowChecked(x, w.win, xproto.ConfigWindowX|xproto.ConfigWindowY|xproto.ConfigWindowWidth|xproto.ConfigWindowHeight,
		[]uint32{100, 50, 1000, 562}).Check(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); out.Bounds() != moved && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if got := out.Bounds(); got != moved {
		t.Fatalf("Bounds after moving = %v, want %v", got, moved)
	}
	// 640×360 → 1000×562: the white square's centre and a background
	// point carry over.
	got, ok := waitScreen(t, display, moved, func(g *image.RGBA) bool {
		return g.RGBAAt(5, 5) == f.RGBAAt(3, 3) && g.RGBAAt(995, 555) == f.RGBAAt(636, 355)
	})
	if !ok {
		t.Errorf("after resize: corners %v %v, want %v %v", got.RGBAAt(5, 5), got.RGBAAt(995, 555), f.RGBAAt(3, 3), f.RGBAAt(636, 355))
	}
	// Closing the window (WM_DELETE_WINDOW, as a window manager sends on
	// the close button) is reported and ends the output.
	ev := xproto.ClientMessageEvent{Format: 32, Window: w.win, Type: mustAtom(t, x, "WM_PROTOCOLS"),
		Data: xproto.ClientMessageDataUnionData32New([]uint32{uint32(mustAtom(t, x, "WM_DELETE_WINDOW")), 0, 0, 0, 0})}
	if err := xproto.SendEventChecked(x, false, w.win, 0, string(ev.Bytes())).Check(); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(5 * time.Second); out.Stats().Err == "" && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	if st := out.Stats(); !strings.Contains(st.Err, "closed") || !out.Bounds().Empty() {
		t.Errorf("after WM_DELETE_WINDOW: stats %+v, Bounds %v", st, out.Bounds())
	}
	if out.Write(f, time.Second) {
		t.Errorf("Write accepted a frame for a closed window")
	}
	if err := out.Close(); err != nil {
		t.Errorf("Close after the user closed the window: %v", err)
	}
}

func mustAtom(t *testing.T, x *xgb.Conn, name string) xproto.Atom {
	t.Helper()
	r, err := xproto.InternAtom(x, false, uint16(len(name)), name).Reply()
	if err != nil {
		t.Fatal(err)
	}
	return r.Atom
}

// TestCursor: the pointer moved on the server is where Sample says, with
// the cursor's image and a hotspot inside it; DrawCursor puts that image
// at the hotspot in a frame of a monitor at an offset.
func TestCursor(t *testing.T) {
	display := xtest.StartXvfb(t, "1280x720x24")
	cur, err := OpenCursor(display)
	if err != nil {
		t.Fatal(err)
	}
	defer cur.Close()
	x, err := xgb.NewConnDisplay(display)
	if err != nil {
		t.Fatal(err)
	}
	defer x.Close()
	root := xproto.Setup(x).DefaultScreen(x).Root
	for _, p := range []image.Point{{100, 200}, {1000, 33}, {0, 0}, {1279, 719}} {
		if err := xproto.WarpPointerChecked(x, 0, root, 0, 0, 0, 0, int16(p.X), int16(p.Y)).Check(); err != nil {
			t.Fatal(err)
		}
		img, hot, pos, err := cur.Sample()
		if err != nil {
			t.Fatal(err)
		}
		if pos != p {
			t.Errorf("pointer warped to %v, Sample says %v", p, pos)
		}
		if img == nil || img.Rect.Empty() || !hot.In(img.Rect) {
			t.Fatalf("cursor image %v hotspot %v", img, hot)
		}
		opaque := 0
		for i := 3; i < len(img.Pix); i += 4 {
			if img.Pix[i] == 255 {
				opaque++
			}
		}
		if opaque == 0 {
			t.Fatalf("cursor image has no opaque pixel")
		}
	}
	img, hot, _, _ := cur.Sample()
	// A frame of a monitor whose top-left is at (640, 0); pointer at
	// (700, 40) is at (60, 40) in it.
	dst := image.NewRGBA(image.Rect(0, 0, 640, 360))
	DrawCursor(dst, image.Pt(640, 0), img, hot, image.Pt(700, 40))
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			s := img.RGBAAt(x, y)
			if s.A != 255 {
				continue
			}
			if d := dst.RGBAAt(60-hot.X+x, 40-hot.Y+y); d != s {
				t.Fatalf("cursor pixel (%d,%d) %v drawn as %v", x, y, s, d)
			}
		}
	}
}

func TestDrawCursorBlendAndClip(t *testing.T) {
	cur := image.NewRGBA(image.Rect(0, 0, 3, 3))
	cur.SetRGBA(0, 0, color.RGBA{255, 0, 0, 255})
	cur.SetRGBA(1, 1, color.RGBA{0, 0, 64, 128}) // premultiplied half-transparent blue
	cur.SetRGBA(2, 2, color.RGBA{0, 255, 0, 255})
	dst := image.NewRGBA(image.Rect(0, 0, 4, 4))
	fillRGBA(dst, dst.Rect, color.RGBA{200, 200, 200, 255}, image.Rectangle{})
	// Hotspot (1,1) at screen (12,12), frame origin (10,10): the cursor's
	// top-left lands at (1,1); (2,2) of it at (3,3).
	DrawCursor(dst, image.Pt(10, 10), cur, image.Pt(1, 1), image.Pt(12, 12))
	want := map[image.Point]color.RGBA{
		{1, 1}: {255, 0, 0, 255},
		{2, 2}: {100, 100, 164, 255},
		{3, 3}: {0, 255, 0, 255},
		{2, 1}: {200, 200, 200, 255}, // transparent cursor pixel
		{0, 0}: {200, 200, 200, 255},
	}
	for p, w := range want {
		if got := dst.RGBAAt(p.X, p.Y); got != w {
			t.Errorf("pixel %v = %v, want %v", p, got, w)
		}
	}
	// Partly outside: clipped, no panic.
	// Top-left at (-1,2): cursor (1,1) lands on (0,3), the rest outside.
	DrawCursor(dst, image.Pt(0, 0), cur, image.Pt(0, 0), image.Pt(-1, 2))
	if got := dst.RGBAAt(0, 3); got != (color.RGBA{100, 100, 164, 255}) {
		t.Errorf("clipped draw: pixel (0,3) = %v", got)
	}
	DrawCursor(dst, image.Pt(0, 0), nil, image.Point{}, image.Point{})
}

// TestWindowXServerDies: the X server is killed under the window: one
// error is reported, Write refuses frames, Close returns.
func TestWindowXServerDies(t *testing.T) {
	srv := xtest.StartServer(t, "640x480x24")
	errs := make(chan error, 10)
	out, err := Open(context.Background(), Target{Kind: KindWindow, Monitor: -1},
		Options{Width: 320, Height: 240, Display: srv.Display, OnError: func(err error, _ bool) { errs <- err }})
	if err != nil {
		t.Fatal(err)
	}
	out.Write(testFrame(320, 240, 1), 0)
	if err := srv.Kill(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-errs:
		if !strings.Contains(err.Error(), "X server") {
			t.Errorf("error %v does not say the X server went away", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no error reported after the X server died: %+v", out.Stats())
	}
	for i := 0; i < 5 && out.Write(testFrame(320, 240, 2), time.Second); i++ {
		time.Sleep(100 * time.Millisecond)
	}
	if out.Write(testFrame(320, 240, 2), time.Second) {
		t.Errorf("Write accepted a frame for a window on a dead X server")
	}
	if err := out.Close(); err == nil {
		t.Errorf("Close = nil after the X server died")
	}
	if len(errs) != 0 {
		t.Errorf("%d more errors reported: %v", len(errs), <-errs)
	}
}

// TestWindowWithoutSHM: the PutImage path (no shared memory with the
// server), in requests under the maximum request length, shows the frame
// exactly.
func TestWindowWithoutSHM(t *testing.T) {
	setVar(t, &useSHM, false)
	display := xtest.StartXvfb(t, "1280x720x24")
	mon := image.Rect(0, 0, 1280, 720)
	out, err := Open(context.Background(), Target{Kind: KindWindow, Monitor: 0}, Options{Width: 1280, Height: 720, Display: display, Monitors: []image.Rectangle{mon}})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	f := testFrame(1280, 720, 5)
	out.Write(f, 0)
	if got, ok := waitScreen(t, display, mon, func(g *image.RGBA) bool { n, _ := samePixels(g, f); return n == 0 }); !ok {
		n, p := samePixels(got, f)
		t.Fatalf("%d pixels differ (first at %v)", n, p)
	}
	out.Close() // the render loop has ended: its fields can be read
	if w := out.(*window); w.noSHM == nil {
		t.Errorf("shared memory used although disabled")
	}
}

// A plain window for a frame as big as the screen (the feed of the screen
// it is on) starts at half the screen: full size, it would cover the
// presenter's work and show nothing but its own neutral area.
func TestPlainWindowOfAScreenSizedFeed(t *testing.T) {
	display := xtest.StartXvfb(t, "1280x720x24")
	out, err := Open(context.Background(), Target{Kind: KindWindow, Monitor: -1}, Options{Width: 1280, Height: 720, Display: display})
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	if b := out.Bounds(); b.Size() != image.Pt(640, 360) {
		t.Fatalf("Bounds = %v, want a 640×360 window (half the screen)", b)
	}
}
