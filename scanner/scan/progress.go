package scan

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/demoguard/demoguard/scanner/video"
)

// ProgressLine draws a one-line progress display ("\r…\x1b[K") on a terminal:
// pages done, rate and ETA. Updates are throttled so that a fast run does
// not spend its time redrawing.
type ProgressLine struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	drawn bool
	now   func() time.Time
}

// NewProgressLine returns a progress display on w, or nil when w is not a
// terminal: piped or redirected stderr stays silent.
func NewProgressLine(w io.Writer) *ProgressLine {
	f, ok := w.(*os.File)
	if !ok || !isTerminal(f) {
		return nil
	}
	return &ProgressLine{w: w, now: time.Now}
}

// Update is an Options.Progress callback.
func (p *ProgressLine) Update(pr Progress) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := p.now()
	if pr.PagesDone < pr.Pages && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.last = now
	fmt.Fprintf(p.w, "\r%s\x1b[K", FormatProgress(pr, now))
	p.drawn = true
}

// Done clears the line, so the report starts on a clean line.
func (p *ProgressLine) Done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// Note prints a message above the progress line.
func (p *ProgressLine) Note(msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drawn = false
	}
	fmt.Fprintln(p.w, msg)
}

// FormatProgress renders one progress line, e.g.
// "scan: 12/40 pages, 3/9 files, 1.4 pages/s, ETA 0:20".
func FormatProgress(pr Progress, now time.Time) string {
	s := fmt.Sprintf("scan: %d/%d pages, %d/%d files", pr.PagesDone, pr.Pages, pr.SourcesDone, pr.Sources)
	if pr.Position > 0 {
		// A recording: where in it, how fast (×real time), how long to go.
		s += ", video " + video.Clock(pr.Position)
		if pr.Duration > 0 {
			s += "/" + video.Clock(pr.Duration)
		}
		if el := now.Sub(pr.VideoStarted).Seconds(); el > 0 {
			speed := pr.Position / el
			s += fmt.Sprintf(", %.1f× real time", speed)
			if pr.Duration > pr.Position && speed > 0 {
				s += ", ETA " + clock(time.Duration((pr.Duration-pr.Position)/speed*float64(time.Second)))
			}
		}
		return s
	}
	el := now.Sub(pr.Started).Seconds()
	if pr.PagesDone == 0 || el <= 0 {
		return s
	}
	rate := float64(pr.PagesDone) / el
	eta := time.Duration(float64(pr.Pages-pr.PagesDone) / rate * float64(time.Second))
	return s + fmt.Sprintf(", %.1f pages/s, ETA %s", rate, clock(eta))
}

func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}
