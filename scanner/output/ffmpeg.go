package output

import (
	"context"
	"fmt"
	"image"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Restart backoff for streams and devices: first retry after minBackoff,
// doubling to maxBackoff; a child that ran for stableAfter resets it.
// Variables so tests need not wait seconds.
var (
	minBackoff  = 500 * time.Millisecond
	maxBackoff  = 30 * time.Second
	stableAfter = 30 * time.Second
	// closeTimeout bounds Close: flushing the queue and ffmpeg finishing
	// the file. Past it ffmpeg is killed (a Matroska or fragmented MP4
	// file stays playable up to its last complete fragment).
	closeTimeout = 10 * time.Second
)

// stderrLines of ffmpeg's stderr are kept for error messages.
const stderrLines = 8

// ffmpegOut feeds raw RGBA frames at a constant rate to an ffmpeg child.
type ffmpegOut struct {
	t    Target
	o    Options
	bin  string
	w, h int // encoded size (even)
	q    *queue

	ctx    context.Context
	cancel context.CancelFunc
	flush  chan struct{} // closed by Close: drain the queue and finish
	done   chan struct{} // closed when run returns
	once   sync.Once

	written, repeated, merged, skipped, early atomic.Int64
	pid                                       atomic.Int64 // current child, 0 when none

	mu       sync.Mutex
	restarts int
	err      error
	killed   bool     // Close gave up waiting and killed the child
	sess     *session // the running child, for Close to kill

	// the constant-rate slot clock, owned by run's goroutine
	slot       time.Duration
	cur        *image.RGBA // frame for the pending slot
	curFresh   bool        // cur not written yet
	next       int64       // pending slot
	ahead      *image.RGBA // a frame for a later slot (aheadN)
	aheadN     int64
	skipLogged time.Time
	base       time.Duration
	haveBase   bool
	offset     time.Duration // arrival wall time − pts, smoothed
	haveOffset bool
	checking   *image.RGBA
}

func openFFmpeg(ctx context.Context, t Target, o Options) (*ffmpegOut, error) {
	bin := o.FFmpeg
	if bin == "" {
		bin = "ffmpeg"
	}
	path, err := exec.LookPath(bin)
	if err != nil {
		return nil, fmt.Errorf("output %s: %w (%s): install it (Debian/Ubuntu: apt-get install ffmpeg; macOS: brew install ffmpeg)", t, ErrNoFFmpeg, bin)
	}
	if t.Kind == KindFile {
		// Checked again at start: the name may have appeared since
		// ParseTarget, and ffmpeg's own -n would only fail later.
		if _, err := os.Lstat(t.Path); err == nil {
			return nil, fmt.Errorf("output %s: the file exists; demoguard never overwrites a recording", t)
		}
	}
	w, h := o.Width+o.Width%2, o.Height+o.Height%2
	f := &ffmpegOut{t: t, o: o, bin: path, w: w, h: h, q: newQueue(w, h),
		flush: make(chan struct{}), done: make(chan struct{}), slot: time.Second / time.Duration(o.FPS)}
	f.ctx, f.cancel = context.WithCancel(ctx)
	// The first start is synchronous so that a binary that cannot run at
	// all is an error at start, not an event later.
	s, err := f.start()
	if err != nil {
		f.cancel()
		return nil, err
	}
	go f.run(s)
	return f, nil
}

// args builds ffmpeg's command line.
func (f *ffmpegOut) args() []string {
	fps := strconv.Itoa(f.o.FPS)
	a := []string{"-hide_banner", "-nostdin", "-loglevel", "warning", "-nostats"}
	if f.t.Kind == KindFile {
		a = append(a, "-n") // never overwrite, even if the name appeared since ParseTarget
	}
	a = append(a, "-f", "rawvideo", "-pix_fmt", "rgba",
		"-video_size", fmt.Sprintf("%dx%d", f.w, f.h), "-framerate", fps, "-i", "pipe:0")
	// No -an: --output-args may bring an audio input of their own.
	enc := f.o.Args
	if enc == nil {
		enc = defaultEncoder(f.t, f.o.FPS)
		if isRTMP(f.t) {
			// Streaming services expect an audio track in RTMP (some
			// refuse or mis-time video-only streams): silence, as OBS
			// sends with no source. The room's sound reaches the stream
			// through the AV desk, not through demoguard.
			a = append(a, "-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100")
			enc = append(enc, "-map", "0:v", "-map", "1:a", "-c:a", "aac", "-b:a", "128k", "-shortest")
		}
	}
	a = append(a, enc...)
	if !slices.Contains(enc, "-f") {
		a = append(a, muxerArgs(f.t)...)
	}
	if f.t.Kind == KindStream {
		return append(a, f.t.URL)
	}
	return append(a, f.t.Path)
}

// defaultEncoder: H.264 for files and streams with -tune zerolatency (no
// B-frames, no lookahead: a frame leaves the encoder as soon as it is in),
// a keyframe every 2 s so a viewer joining a stream or a cut in a recording
// waits at most that long; raw yuv420p for v4l2 cameras, which is what
// browsers and meeting apps read from v4l2loopback.
func defaultEncoder(t Target, fps int) []string {
	g := strconv.Itoa(2 * fps)
	switch t.Kind {
	case KindDevice:
		return []string{"-pix_fmt", "yuv420p"}
	case KindStream:
		// Capped quality: screen content is mostly still and cheap, but a
		// scroll must not exceed what an uplink carries.
		return []string{"-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
			"-crf", "23", "-maxrate", "6M", "-bufsize", "12M", "-pix_fmt", "yuv420p", "-g", g}
	}
	// Files: ultrafast — about a quarter less CPU than veryfast per 1080p
	// frame (measured 21 vs 29 ms with full-screen motion) for a bigger
	// file; the presenter's laptop is short of CPU, not of disk.
	return []string{"-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
		"-crf", "20", "-pix_fmt", "yuv420p", "-g", g}
}

func isRTMP(t Target) bool {
	return t.Kind == KindStream && (strings.HasPrefix(strings.ToLower(t.URL), "rtmp://") || strings.HasPrefix(strings.ToLower(t.URL), "rtmps://"))
}

// muxerArgs picks the container. MP4 is written fragmented: +faststart
// needs the whole file to move the index to the front, impossible while
// writing live, and a plain MP4 killed mid-talk has no index at all; a
// fragmented one is playable up to its last fragment.
func muxerArgs(t Target) []string {
	switch t.Kind {
	case KindDevice:
		return []string{"-f", "v4l2"}
	case KindStream:
		scheme, _, _ := strings.Cut(t.URL, "://")
		return []string{"-f", streamFormats[strings.ToLower(scheme)]}
	}
	m := fileFormats[strings.ToLower(filepath.Ext(t.Path))]
	if m == "" {
		m = "matroska"
	}
	if m == "mp4" || m == "mov" {
		return []string{"-movflags", "+frag_keyframe+empty_moov+default_base_moof", "-f", m}
	}
	return []string{"-f", m}
}

// session is one running ffmpeg.
type session struct {
	cmd     *exec.Cmd
	stdin   *os.File
	stderr  *tail
	exited  chan struct{}
	waitErr error
	started time.Time
}

func (f *ffmpegOut) start() (*session, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("output %s: pipe: %w", f.t, err)
	}
	// A bigger pipe buffer means fewer wake-ups per 8 MB frame. SyscallConn,
	// not Fd: Fd would make the pipe blocking, and Close could no longer
	// interrupt a write to a stalled ffmpeg.
	if sc, err := w.SyscallConn(); err == nil {
		sc.Control(func(fd uintptr) { setPipeSize(fd, 1<<20) })
	}
	cmd := exec.Command(f.bin, f.args()...)
	st := &tail{}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = r, nil, st
	if err := cmd.Start(); err != nil {
		r.Close()
		w.Close()
		return nil, fmt.Errorf("output %s: start %s: %w", f.t, f.bin, err)
	}
	r.Close()
	s := &session{cmd: cmd, stdin: w, stderr: st, exited: make(chan struct{}), started: time.Now()}
	f.pid.Store(int64(cmd.Process.Pid))
	f.mu.Lock()
	f.sess = s
	f.mu.Unlock()
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	return s, nil
}

func (f *ffmpegOut) run(s *session) {
	defer close(f.done)
	defer f.q.closed.Store(true)
	failures := 0
	for {
		err := f.pump(s)
		closing := err == nil || f.closing()
		f.finish(s, closing)
		f.pid.Store(0)
		if closing {
			switch {
			case f.wasKilled():
				f.setErr(fmt.Errorf("output %s: ffmpeg did not finish within %v and was killed: %s", f.t, closeTimeout, s.stderr.String()))
			case s.waitErr != nil:
				f.setErr(fmt.Errorf("output %s: ffmpeg did not finish cleanly (%v): %s", f.t, s.waitErr, s.stderr.String()))
			}
			f.q.discard()
			return
		}
		restart := f.t.Kind != KindFile
		err = fmt.Errorf("output %s: %w", f.t, err)
		f.setErr(err)
		f.o.Logf("%v", err)
		if f.o.OnError != nil {
			f.o.OnError(err, restart)
		}
		if !restart {
			// A file is finished: a new ffmpeg could only write a new file.
			f.q.closed.Store(true)
			f.q.discard()
			f.o.Logf("output %s: recording ended early; the file is playable up to this point", f.t)
			return
		}
		if time.Since(s.started) > stableAfter {
			failures = 0
		}
		failures++
		wait := backoff(failures, minBackoff, maxBackoff)
		f.o.Logf("output %s: restarting ffmpeg in %v", f.t, wait)
		if !f.sleep(wait) {
			f.q.discard()
			return
		}
		for {
			if s, err = f.start(); err == nil {
				break
			}
			f.setErr(err)
			f.o.Logf("%v", err)
			failures++
			if !f.sleep(backoff(failures, minBackoff, maxBackoff)) {
				f.q.discard()
				return
			}
		}
		f.mu.Lock()
		f.restarts++
		f.mu.Unlock()
		// A new stream starts its clock at its first frame.
		f.haveBase, f.next, f.curFresh = false, 0, false
		if f.ahead != nil {
			f.q.release(f.cur)
			f.cur, f.ahead = f.ahead, nil
		}
		f.o.Logf("output %s: ffmpeg restarted", f.t)
	}
}

// sleep waits d, dropping (and counting) frames meanwhile: they are due now
// and would be stale once the stream is back. False when closing.
func (f *ffmpegOut) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case fr := <-f.q.q:
			f.q.dropped.Add(1)
			f.q.release(fr.img)
		case <-t.C:
			return true
		case <-f.ctx.Done():
			return false
		case <-f.flush:
			return false
		}
	}
}

// pump feeds s until it fails (error) or the output is closed (nil).
//
// Slots: ffmpeg reads frames at a constant rate, so frame number n of this
// session is shown at n/FPS. A frame with presentation time pts belongs in
// slot round((pts−base)·FPS), base being 0 for the first session (file time
// = pts) and the first frame's pts after a restart. Slot n shows the newest
// frame that belongs in it or before it; it is written once a later
// slot's frame arrives, or when its time has passed by wall clock (pts
// mapped to wall time through the smallest recent delay between a frame's
// pts and its arrival), then repeating the last frame: a still screen
// still gives FPS frames per second.
//
// When ffmpeg cannot keep up (a loaded machine), slots fall behind the
// clock: each written slot then shows the newest frame available rather
// than repeating stale ones, and once the backlog exceeds maxLag the
// missing slots are skipped (counted in Stats.Skipped) — later frames then
// sit earlier in the file than their pts by what was skipped; without the
// skip the lag, a stream's latency and Close's time would grow without
// bound.
func (f *ffmpegOut) pump(s *session) error {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// While behind, the loop writes without blocking in the select
		// below: look for Close and a dead child here too.
		select {
		case <-s.exited:
			return f.died(s)
		case <-f.ctx.Done():
			return f.drain(s)
		case <-f.flush:
			return f.drain(s)
		default:
		}
		// Everything queued first: the newest frame decides what the next
		// slot shows.
		for drained := false; !drained; {
			select {
			case fr := <-f.q.q:
				if err := f.take(s, fr); err != nil {
					return err
				}
			default:
				drained = true
			}
		}
		if f.cur != nil && f.haveBase {
			now := time.Now()
			behind := f.wallSlot(now.Add(-f.slot/2)) - f.next
			if behind > f.maxLag() {
				skip := behind - 1
				f.skipped.Add(skip)
				f.next += skip
				if now.Sub(f.skipLogged) > 10*time.Second {
					f.skipLogged = now
					f.o.Logf("output %s: ffmpeg is %v behind; skipped %d frames (later frames sit earlier in the file than their capture time)", f.t, time.Duration(behind)*f.slot, skip)
				}
			}
			if f.ahead != nil && (f.aheadN <= f.next || behind >= 2) {
				// Its slot has come, or we are behind: show the newer frame
				// now rather than repeat an older one.
				f.promote(behind >= 2)
			}
			if (f.ahead != nil && f.aheadN > f.next) || behind >= 1 {
				if err := f.emit(s); err != nil {
					return err
				}
				continue
			}
		}
		var due <-chan time.Time
		if f.cur != nil && f.haveBase {
			// Slot next is complete half a slot after its end.
			end := f.base + time.Duration(f.next+1)*f.slot + f.slot/2
			timer.Reset(max(time.Until(f.wallOf(end)), 0))
			due = timer.C
		}
		select {
		case fr := <-f.q.q:
			if err := f.take(s, fr); err != nil {
				return err
			}
		case <-due:
		case <-s.exited:
			return f.died(s)
		case <-f.ctx.Done():
			// The caller's context ended (watch stopping): like Close, what
			// was handed over is written.
			return f.drain(s)
		case <-f.flush:
			return f.drain(s)
		}
	}
}

// drain writes, at Close, what is queued and pending.
func (f *ffmpegOut) drain(s *session) error {
	for {
		select {
		case fr := <-f.q.q:
			if err := f.take(s, fr); err != nil {
				return err
			}
			continue
		default:
		}
		break
	}
	if f.ahead != nil {
		if f.haveBase && f.wallSlot(time.Now())-f.next >= 2 {
			f.promote(true) // behind: no backlog of repeats at Close
		} else {
			if err := f.fillTo(s, f.aheadN); err != nil {
				return err
			}
			f.promote(false)
		}
	}
	if f.cur != nil && f.curFresh {
		return f.emit(s)
	}
	return nil
}

// maxLag is how many slots ffmpeg may fall behind the clock before slots
// are skipped. Streams and cameras: one second, the latency a viewer can
// bear. Files: ten seconds — a file has no viewer waiting, and a shorter
// stall (ffmpeg starting on a loaded machine) is caught up, after which
// file time = capture time − start holds again; a skip shifts everything
// after it for good.
func (f *ffmpegOut) maxLag() int64 {
	if f.t.Kind == KindFile {
		return int64(10 * f.o.FPS)
	}
	return int64(f.o.FPS)
}

func (f *ffmpegOut) wallOf(pts time.Duration) time.Time {
	return time.Unix(0, 0).Add(pts + f.offset)
}

// wallSlot is the slot whose time has begun at wall time t.
func (f *ffmpegOut) wallSlot(t time.Time) int64 {
	d := t.Sub(time.Unix(0, 0)) - f.offset - f.base
	if d < 0 {
		return -1
	}
	return int64(d / f.slot)
}

// take places a new frame on the slot clock.
func (f *ffmpegOut) take(s *session, fr frame) error {
	// offset = arrival − pts in Unix time; keep the smallest recent value
	// (frames delayed by scheduling would otherwise push the clock late),
	// drifting up slowly if the caller's delay really grew.
	off := fr.at.Sub(time.Unix(0, 0)) - fr.pts
	switch {
	case !f.haveOffset || off < f.offset:
		f.offset, f.haveOffset = off, true
	default:
		f.offset += (off - f.offset) / 32
	}
	if !f.haveBase {
		f.base, f.haveBase = 0, true
		if f.restartsNow() > 0 {
			f.base = fr.pts
		}
	}
	n := int64(((fr.pts - f.base) + f.slot/2) / f.slot)
	switch {
	case f.cur == nil:
		// The first frame: the slots before it are neutral, never content
		// from the future (at most maxFill of them).
		if n-f.next > f.maxFill() {
			f.next = n - f.maxFill()
		}
		if f.next < n && f.checking == nil {
			f.checking = CheckingFrame(f.w, f.h)
		}
		for ; f.next < n; f.next++ {
			if err := f.writeFrame(s, f.checking); err != nil {
				return err
			}
		}
		f.cur, f.curFresh = fr.img, true
	case n <= f.next:
		// Same slot as the pending frame (or late for its own): the newer
		// content wins.
		if f.curFresh {
			f.merged.Add(1)
		}
		f.q.release(f.cur)
		f.cur, f.curFresh = fr.img, true
	case f.ahead == nil:
		f.ahead, f.aheadN = fr.img, n
	case n == f.aheadN:
		f.merged.Add(1)
		f.q.release(f.ahead)
		f.ahead = fr.img
	default:
		// A second future frame. Behind the clock: the older one is stale,
		// drop it. Otherwise (frames running ahead of real time) write up
		// to the older one's slot so it is shown in its turn.
		if f.wallSlot(time.Now())-f.next >= 2 {
			f.q.dropped.Add(1)
			f.q.release(f.ahead)
		} else {
			if err := f.fillTo(s, f.aheadN); err != nil {
				return err
			}
			f.promote(false)
		}
		f.ahead, f.aheadN = fr.img, n
	}
	return nil
}

// maxFill bounds the slots written in one go to fill a gap in frame times
// (a clock that jumped): 10 s.
func (f *ffmpegOut) maxFill() int64 { return int64(10 * f.o.FPS) }

// fillTo writes the pending frame into slots next…n−1.
func (f *ffmpegOut) fillTo(s *session, n int64) error {
	if n-f.next > f.maxFill() {
		f.o.Logf("output %s: frame times jumped %v ahead; skipping", f.t, time.Duration(n-f.next)*f.slot)
		f.skipped.Add(n - f.next - 1)
		f.next = n - 1
	}
	for f.next < n {
		if err := f.emit(s); err != nil {
			return err
		}
	}
	return nil
}

// promote makes the future frame the pending one. late: we are behind the
// clock, so it is shown in the current slot, early, and the frame it
// replaces, if never shown, counts as dropped.
func (f *ffmpegOut) promote(late bool) {
	if late {
		f.early.Add(1)
	}
	if f.curFresh {
		if late {
			f.q.dropped.Add(1)
		} else {
			f.merged.Add(1)
		}
	}
	f.q.release(f.cur)
	f.cur, f.curFresh = f.ahead, true
	if !late {
		f.next = max(f.next, f.aheadN)
	}
	f.ahead = nil
}

// emit writes the pending slot and moves to the next one.
func (f *ffmpegOut) emit(s *session) error {
	if err := f.writeFrame(s, f.cur); err != nil {
		return err
	}
	if !f.curFresh {
		f.repeated.Add(1)
	}
	f.curFresh = false
	f.next++
	return nil
}

func (f *ffmpegOut) writeFrame(s *session, img *image.RGBA) error {
	if _, err := s.stdin.Write(img.Pix[:f.w*f.h*4]); err != nil {
		// EPIPE/closed: ffmpeg is gone or going; its exit status and
		// stderr say why.
		select {
		case <-s.exited:
		case <-time.After(2 * time.Second):
		}
		return f.died(s)
	}
	f.written.Add(1)
	return nil
}

func (f *ffmpegOut) died(s *session) error {
	select {
	case <-s.exited:
	default:
		return fmt.Errorf("ffmpeg stopped reading its input: %s", s.stderr.String())
	}
	why := "exited"
	if s.waitErr != nil {
		why = s.waitErr.Error()
	}
	msg := s.stderr.String()
	if msg == "" {
		msg = "no message"
	}
	return fmt.Errorf("ffmpeg %s: %s", why, msg)
}

// finish ends a session: stdin closed (ffmpeg flushes and writes the
// file's index), then a bounded wait, then SIGTERM and SIGKILL.
func (f *ffmpegOut) finish(s *session, graceful bool) {
	s.stdin.Close()
	wait := 2 * time.Second
	if graceful {
		wait = closeTimeout
	}
	select {
	case <-s.exited:
		return
	case <-time.After(wait):
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
		return
	case <-time.After(2 * time.Second):
	}
	if graceful {
		f.mu.Lock()
		f.killed = true // for Close's error
		f.mu.Unlock()
	}
	s.cmd.Process.Kill()
	<-s.exited
}

// closing reports whether Close was called or the context ended.
func (f *ffmpegOut) closing() bool {
	select {
	case <-f.flush:
		return true
	case <-f.ctx.Done():
		return true
	default:
		return false
	}
}

func (f *ffmpegOut) restartsNow() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.restarts
}

func (f *ffmpegOut) wasKilled() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.killed
}

func (f *ffmpegOut) setErr(err error) {
	f.mu.Lock()
	f.err = err
	f.mu.Unlock()
}

func (f *ffmpegOut) Write(img *image.RGBA, pts time.Duration) bool {
	if img == nil {
		return false
	}
	return f.q.put(img, pts)
}

func (f *ffmpegOut) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	s := Stats{Written: f.written.Load(), Dropped: f.q.dropped.Load(), Repeated: f.repeated.Load(),
		Merged: f.merged.Load(), Skipped: f.skipped.Load(), Early: f.early.Load(), Restarts: f.restarts}
	if f.err != nil {
		s.Err = f.err.Error()
	}
	return s
}

func (f *ffmpegOut) Close() error {
	f.once.Do(func() {
		f.q.closed.Store(true)
		close(f.flush)
	})
	// Bounded: an ffmpeg that stopped reading keeps our write blocked;
	// after closeTimeout it is killed, which ends the write.
	select {
	case <-f.done:
	case <-time.After(closeTimeout):
		f.mu.Lock()
		s := f.sess
		f.killed = true
		f.mu.Unlock()
		if s != nil {
			s.cmd.Process.Kill()
		}
		select {
		case <-f.done:
		case <-time.After(5 * time.Second):
			f.cancel()
			return fmt.Errorf("output %s: ffmpeg did not stop", f.t)
		}
	}
	f.cancel()
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return f.err
	}
	return nil
}

func (f *ffmpegOut) Bounds() image.Rectangle { return image.Rectangle{} }

// ChildPID is the running ffmpeg's process id (0 while none runs), so the
// caller can report ffmpeg's CPU separately from its own. Reach it with a
// type assertion to interface{ ChildPID() int }.
func (f *ffmpegOut) ChildPID() int { return int(f.pid.Load()) }

// tail keeps the last lines written to it (ffmpeg's stderr): always
// drained, so ffmpeg never stalls on a full pipe, and bounded.
type tail struct {
	mu    sync.Mutex
	lines []string
	part  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, b := range p {
		if b == '\n' || b == '\r' {
			if len(t.part) > 0 {
				t.lines = append(t.lines, string(t.part))
				if len(t.lines) > stderrLines {
					t.lines = t.lines[len(t.lines)-stderrLines:]
				}
				t.part = t.part[:0]
			}
			continue
		}
		if len(t.part) < 300 {
			t.part = append(t.part, b)
		}
	}
	return len(p), nil
}

// String is the kept lines joined by " | " (one-line error messages).
func (t *tail) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	ls := slices.Clone(t.lines)
	if len(t.part) > 0 {
		ls = append(ls, string(t.part))
	}
	if len(ls) > stderrLines {
		ls = ls[len(ls)-stderrLines:]
	}
	return strings.Join(ls, " | ")
}
