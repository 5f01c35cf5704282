package output

import (
	"context"
	"errors"
	"fmt"
	"image"
	"sync"
	"sync/atomic"
	"time"
)

// Options configure Open.
type Options struct {
	// Width and Height of the frames given to Write. ffmpeg targets encode
	// at this size rounded up to even numbers (yuv420p needs even sizes; the
	// extra row/column repeats the edge).
	Width, Height int
	// FPS is the constant frame rate of ffmpeg targets (--output-fps);
	// default 30. Windows show frames as they come.
	FPS int
	// Args replace the encoder options (--output-args): everything between
	// ffmpeg's input and its output; when they contain -f, ours is dropped
	// too.
	Args []string
	// Display is the X display for window targets (default $DISPLAY).
	Display string
	// Monitors are the screen areas window:N refers to, numbered as for
	// --display (primary first). Empty: asked from the X server.
	Monitors []image.Rectangle
	// Logf receives one line per noteworthy event (ffmpeg died, restarted,
	// window closed). Nil: silent.
	Logf func(format string, a ...any)
	// OnError, if set, is called (from the output's goroutine) each time the
	// output fails: ffmpeg exited, the window was closed or its X server
	// went away. restarting says whether the output will try again. For the
	// feed's "error" event; must not block.
	OnError func(err error, restarting bool)
	// FFmpeg is the ffmpeg binary (default: "ffmpeg" from $PATH). For
	// tests and unusual installs.
	FFmpeg string
}

// Stats count what an output did. Written, Dropped, Repeated and Merged
// are frames; Restarts counts ffmpeg restarts.
type Stats struct {
	// Written: frames delivered (ffmpeg: constant-rate slots including
	// repeats; window: frames put on screen).
	Written int64
	// Dropped: frames given to Write that were never delivered because the
	// consumer was behind (queue full) or down.
	Dropped int64
	// Repeated: ffmpeg slots filled with the previous frame because no new
	// one arrived in time (a still screen), counted in Written.
	Repeated int64
	// Merged: frames replaced by a newer one for the same slot (Write called
	// faster than FPS). Not a sign of trouble, so not in Dropped.
	Merged int64
	// Skipped: ffmpeg slots never written because ffmpeg fell over a
	// second behind the clock (a loaded machine); frames after a skip sit
	// earlier in a file than their presentation time by that much.
	Skipped int64
	// Early: times a frame was shown before its slot because ffmpeg was
	// two or more slots behind the clock (the newest frame rather than
	// repeats of a stale one).
	Early    int64
	Restarts int
	// Err is the last failure ("" when none).
	Err string
}

// Output is where the audience feed goes.
type Output interface {
	// Write hands a frame (RGBA, Width×Height) with its presentation time
	// since start. It copies img (the caller may reuse it at once) and never
	// blocks: when the consumer is behind, the oldest queued frame is
	// dropped and counted. It returns false when img itself was not queued
	// (output failed or closed).
	Write(img *image.RGBA, pts time.Duration) bool
	Stats() Stats
	// Close flushes, waits for the child/window to end (bounded) and
	// returns the output's last error, if any.
	Close() error
	// Bounds is, for window targets, the window's area in screen
	// coordinates (to exclude from capture); empty otherwise or while the
	// window is not mapped.
	Bounds() image.Rectangle
}

// Sentinel errors callers act on.
var (
	// ErrNoFFmpeg: ffmpeg is not installed.
	ErrNoFFmpeg = errors.New("ffmpeg not found")
	// ErrNoMonitor: window:N names a monitor that does not exist.
	ErrNoMonitor = errors.New("no such monitor")
	// ErrWindowClosed: the presenter closed the feed window (reported
	// through Stats.Err and OnError; Close does not return it).
	ErrWindowClosed = errors.New("the feed window was closed")
)

// Open starts the output t. ffmpeg targets start the child now (a missing
// ffmpeg is an error naming the Debian package); window targets map the
// window before returning, so Bounds is right from the start. ctx ends the
// output like Close (without waiting).
func Open(ctx context.Context, t Target, o Options) (Output, error) {
	if o.Width <= 0 || o.Height <= 0 {
		return nil, fmt.Errorf("output %s: frame size %dx%d", t, o.Width, o.Height)
	}
	if o.Width > maxSide || o.Height > maxSide {
		return nil, fmt.Errorf("output %s: frame size %dx%d exceeds %d", t, o.Width, o.Height, maxSide)
	}
	if o.FPS <= 0 {
		o.FPS = 30
	}
	if o.FPS > 240 {
		return nil, fmt.Errorf("output %s: %d fps is over 240", t, o.FPS)
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	switch t.Kind {
	case KindWindow:
		return openWindow(ctx, t, o)
	case KindFile, KindStream, KindDevice:
		return openFFmpeg(ctx, t, o)
	}
	return nil, fmt.Errorf("output: unknown target kind %v", t.Kind)
}

// maxSide bounds frame sizes (X11 coordinates are 16-bit; 8K is 7680).
const maxSide = 16384

// queueDepth frames may wait for the consumer; more are dropped (oldest
// first: the audience should see the newest verified frame, not a backlog).
const queueDepth = 2

type frame struct {
	img *image.RGBA
	pts time.Duration
	at  time.Time // when Write was called
}

// queue is the bounded hand-over between Write and the consumer goroutine.
// Buffers are recycled: queueDepth queued + one held by the consumer + one
// being filled, so memory is fixed after the first frames.
type queue struct {
	w, h int
	mu   sync.Mutex // one Write at a time (buffer bookkeeping)
	free chan *image.RGBA
	q    chan frame
	n    int // buffers allocated

	dropped atomic.Int64
	closed  atomic.Bool
}

func newQueue(w, h int) *queue {
	return &queue{w: w, h: h, free: make(chan *image.RGBA, queueDepth+3), q: make(chan frame, queueDepth)}
}

const maxBuffers = queueDepth + 3

func (q *queue) put(img *image.RGBA, pts time.Duration) bool {
	if q.closed.Load() {
		q.dropped.Add(1)
		return false
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	var buf *image.RGBA
	select {
	case buf = <-q.free:
	default:
		if q.n < maxBuffers {
			buf = image.NewRGBA(image.Rect(0, 0, q.w, q.h))
			q.n++
			break
		}
		// All buffers are queued or held: drop the oldest queued frame.
		select {
		case f := <-q.q:
			q.dropped.Add(1)
			buf = f.img
		case buf = <-q.free: // the consumer just released one
		default:
			// The consumer holds every buffer (it never holds more than
			// two, so this is a safety net): drop this frame rather than
			// wait.
			q.dropped.Add(1)
			return false
		}
	}
	fit(buf, img)
	fr := frame{img: buf, pts: pts, at: time.Now()}
	for range 3 {
		select {
		case q.q <- fr:
			return true
		default:
		}
		// Queue full: the oldest queued frame makes room.
		select {
		case old := <-q.q:
			q.dropped.Add(1)
			q.release(old.img)
		default: // the consumer just took one: try again
		}
	}
	q.release(buf)
	q.dropped.Add(1)
	return false
}

// release gives a buffer back for reuse.
func (q *queue) release(img *image.RGBA) {
	if img == nil {
		return
	}
	select {
	case q.free <- img:
	default:
	}
}

// discard drops everything queued (output down), counting it.
func (q *queue) discard() {
	for {
		select {
		case f := <-q.q:
			q.dropped.Add(1)
			q.release(f.img)
		default:
			return
		}
	}
}

// backoff gives the wait before restart number n (1-based).
func backoff(n int, lo, hi time.Duration) time.Duration {
	d := lo
	for i := 1; i < n && d < hi; i++ {
		d *= 2
	}
	return min(d, hi)
}
