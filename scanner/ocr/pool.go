package ocr

import (
	"bufio"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"sync"
	"time"

	"github.com/demoguard/demoguard/scanner/internal/childenv"
)

// helloTimeout bounds how long a new worker may take to load its model. A
// binary that forgot to call MaybeRunWorker never says hello; it is killed.
const helloTimeout = 30 * time.Second

// worker is one child process with one Tesseract instance.
type worker struct {
	cmd    *exec.Cmd
	req    *os.File
	bw     *bufio.Writer
	enc    *gob.Encoder
	resp   *os.File
	dec    *gob.Decoder
	pid    int
	calls  int
	stderr *tailBuffer
	exited chan struct{} // closed once Wait returned
}

// pool hands out workers. Each of its n slots is either idle (a worker or
// nil, meaning "spawn one on first use") in the free queue, or held by a
// caller. A slot never disappears, so a caller can always make progress.
// Urgent callers (the live agent's small new changes: a notification) are
// served before others waiting: a big read in flight delays them by one
// canvas, not by the rest of its queue.
type pool struct {
	exe, lang, tessdata string
	recycleAfter        int

	slotMu  sync.Mutex
	slots   int
	free    []*worker         // FIFO of idle slots
	waiters [2][]chan *worker // urgent, then normal; FIFO each
	spawnMu sync.Mutex        // workers start one at a time (NOTES: concurrent Init is unsafe; also spreads CPU)

	mu     sync.Mutex
	closed bool
	live   map[*worker]struct{}
	pids   []int // every PID ever started, for tests and diagnostics
}

func newPool(n, recycleAfter int, lang, tessdata string) (*pool, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("ocr: find own executable to start workers: %w", err)
	}
	p := &pool{exe: exe, lang: lang, tessdata: tessdata, recycleAfter: recycleAfter,
		slots: n, free: make([]*worker, n), live: map[*worker]struct{}{}}
	return p, nil
}

// get takes a slot, waiting for one; urgent waiters are served first.
func (p *pool) get(ctx context.Context, urgent bool) (*worker, error) {
	p.slotMu.Lock()
	if len(p.free) > 0 {
		w := p.free[0]
		p.free = p.free[1:]
		p.slotMu.Unlock()
		return w, nil
	}
	q := 1
	if urgent {
		q = 0
	}
	ch := make(chan *worker, 1)
	p.waiters[q] = append(p.waiters[q], ch)
	p.slotMu.Unlock()
	select {
	case w := <-ch:
		return w, nil
	case <-ctx.Done():
		p.slotMu.Lock()
		i := slices.Index(p.waiters[q], ch)
		if i >= 0 {
			p.waiters[q] = slices.Delete(p.waiters[q], i, i+1)
		}
		p.slotMu.Unlock()
		if i < 0 {
			p.put(<-ch) // handed over meanwhile: pass it on
		}
		return nil, ctx.Err()
	}
}

// tryGet takes an idle slot if there is one.
func (p *pool) tryGet() (*worker, bool) {
	p.slotMu.Lock()
	defer p.slotMu.Unlock()
	if len(p.free) == 0 {
		return nil, false
	}
	w := p.free[0]
	p.free = p.free[1:]
	return w, true
}

// put gives a slot back: to the first urgent waiter, else the first other
// waiter, else the free queue.
func (p *pool) put(w *worker) {
	p.slotMu.Lock()
	defer p.slotMu.Unlock()
	for q := range p.waiters {
		if len(p.waiters[q]) > 0 {
			ch := p.waiters[q][0]
			p.waiters[q] = p.waiters[q][1:]
			ch <- w // buffered: never blocks
			return
		}
	}
	p.free = append(p.free, w)
}

// start brings up the first worker synchronously, so that a broken setup
// (missing hook, bad tessdata) fails New rather than the first scan. The
// others start lazily in the background, one after another.
func (p *pool) start() error {
	p.get(context.Background(), false) // take a slot (nil: not started)
	w, err := p.spawn()
	p.put(w) // nil on error: the slot stays usable
	if err != nil {
		return err
	}
	go func() {
		for range p.slots - 1 {
			w, ok := p.tryGet()
			if !ok {
				return // all slots busy: they spawn on demand
			}
			if w == nil {
				nw, err := p.spawn()
				if err == nil {
					w = nw
				}
			}
			p.put(w)
		}
	}()
	return nil
}

func (p *pool) spawn() (*worker, error) {
	p.spawnMu.Lock()
	defer p.spawnMu.Unlock()
	p.mu.Lock()
	closed := p.closed
	p.mu.Unlock()
	if closed {
		return nil, ErrClosed
	}

	reqR, reqW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("ocr: worker pipe: %w", err)
	}
	respR, respW, err := os.Pipe()
	if err != nil {
		reqR.Close()
		reqW.Close()
		return nil, fmt.Errorf("ocr: worker pipe: %w", err)
	}
	cmd := exec.Command(p.exe)
	cmd.Args = []string{p.exe, "ocr-worker"}
	// OMP_THREAD_LIMIT must be in the environment before libgomp initialises:
	// OpenMP threads make Tesseract slower, parallelism comes from workers.
	// A worker needs no token or secret of the agent's (childenv).
	cmd.Env = childenv.Environ(envWorker+"=1", "OMP_THREAD_LIMIT=1",
		envLang+"="+p.lang, envTessdata+"="+p.tessdata)
	cmd.ExtraFiles = []*os.File{reqR, respW} // fd 3, fd 4
	stderr := &tailBuffer{max: 4 << 10}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		reqR.Close()
		reqW.Close()
		respR.Close()
		respW.Close()
		return nil, fmt.Errorf("ocr: start worker %s: %w", p.exe, err)
	}
	reqR.Close()
	respW.Close()
	w := &worker{cmd: cmd, req: reqW, resp: respR, stderr: stderr, exited: make(chan struct{})}
	w.bw = bufio.NewWriterSize(reqW, 256<<10)
	w.enc = gob.NewEncoder(w.bw)
	w.dec = gob.NewDecoder(bufio.NewReaderSize(respR, 64<<10))
	go func() {
		_ = cmd.Wait()
		close(w.exited)
	}()

	hello := make(chan error, 1)
	var r response
	go func() { hello <- w.dec.Decode(&r) }()
	select {
	case err = <-hello:
	case <-time.After(helloTimeout):
		err = fmt.Errorf("no hello after %v", helloTimeout)
	}
	if err == nil && !r.Ready {
		err = errors.New(r.Err)
	}
	if err != nil {
		w.kill()
		return nil, fmt.Errorf("%w: %v (does the binary call ocr.MaybeRunWorker first in main/TestMain?)%s",
			ErrWorker, err, w.stderrTail())
	}
	w.pid = r.PID
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		w.retire()
		return nil, ErrClosed
	}
	p.live[w] = struct{}{}
	p.pids = append(p.pids, w.pid)
	return w, nil
}

// call sends one request and reads its response. An I/O error means the
// worker died (or its stream is unusable); the caller replaces it.
func (w *worker) call(req *request) (*response, error) {
	if err := w.enc.Encode(req); err != nil {
		return nil, err
	}
	if err := w.bw.Flush(); err != nil {
		return nil, err
	}
	var r response
	if err := w.dec.Decode(&r); err != nil {
		return nil, err
	}
	w.calls++
	return &r, nil
}

// retire closes the request pipe; the worker sees EOF and exits by itself.
// A worker that does not exit in time is killed.
func (w *worker) retire() {
	w.req.Close()
	go func() {
		select {
		case <-w.exited:
		case <-time.After(5 * time.Second):
			_ = w.cmd.Process.Kill()
			<-w.exited
		}
		w.resp.Close()
	}()
}

func (w *worker) kill() {
	_ = w.cmd.Process.Kill()
	<-w.exited
	w.req.Close()
	w.resp.Close()
}

func (w *worker) stderrTail() string {
	if s := w.stderr.String(); s != "" {
		return "; worker stderr: " + s
	}
	return ""
}

func (p *pool) forget(w *worker) {
	p.mu.Lock()
	delete(p.live, w)
	p.mu.Unlock()
}

// do runs one request on some worker. A worker that dies during the call is
// replaced and the request retried once on the replacement; a second failure
// is returned as ErrWorker. Workers that reached recycleAfter calls are
// retired and replaced in the background so the next caller does not wait
// for the model to load.
func (p *pool) do(ctx context.Context, req *request, urgent bool) (*response, error) {
	w, err := p.get(ctx, urgent)
	if err != nil {
		return nil, err
	}
	type result struct {
		r   *response
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := p.run(w, req)
		done <- result{r, err}
	}()
	// On cancellation the call finishes in the background (Tesseract cannot
	// be interrupted) and gives its slot back; only the caller stops waiting.
	select {
	case res := <-done:
		return res.r, res.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run owns the slot until it puts it back.
func (p *pool) run(w *worker, req *request) (resp *response, err error) {
	for attempt := 0; ; attempt++ {
		if w == nil {
			if w, err = p.spawn(); err != nil {
				p.put(nil)
				return nil, err
			}
		}
		resp, err = w.call(req)
		if err == nil {
			break
		}
		crash := fmt.Errorf("%w: pid %d: %v%s", ErrWorker, w.pid, err, w.stderrTail())
		p.forget(w)
		w.kill()
		w = nil
		if attempt == 1 || p.isClosed() {
			p.put(nil)
			return nil, crash
		}
	}
	p.release(w)
	if resp.Err != "" {
		return nil, fmt.Errorf("ocr: tesseract: %s", resp.Err)
	}
	return resp, nil
}

func (p *pool) release(w *worker) {
	if p.isClosed() {
		p.forget(w)
		w.retire()
		p.put(nil)
		return
	}
	if w.calls < p.recycleAfter {
		p.put(w)
		return
	}
	p.forget(w)
	w.retire()
	go func() {
		nw, err := p.spawn()
		if err != nil {
			nw = nil // the next caller tries again and sees the error
		}
		p.put(nw)
	}()
}

func (p *pool) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// close retires every idle worker and waits (bounded) for them to exit.
// Calls in flight finish or fail; their workers are retired when they give
// the slot back.
func (p *pool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	var retired []*worker
	back := 0
	for {
		w, ok := p.tryGet()
		if !ok {
			break
		}
		back++
		if w != nil {
			p.forget(w)
			w.retire()
			retired = append(retired, w)
		}
	}
	for range back {
		p.put(nil)
	}
	for _, w := range retired {
		<-w.exited // retire kills after 5 s, so this is bounded
	}
}

// workerPIDs reports the PIDs of live workers.
func (p *pool) workerPIDs() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]int, 0, len(p.live))
	for w := range p.live {
		out = append(out, w.pid)
	}
	return out
}

// tailBuffer keeps the first and the last max/2 bytes written: a crash
// explains itself at the start (the signal and the C frame of a cgo crash)
// and at the end (the goroutine that was running), while Tesseract's
// warnings in between must not grow the buffer.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	head, b []byte
	skipped int
}

func (t *tailBuffer) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := len(p)
	if room := t.max/2 - len(t.head); room > 0 {
		k := min(room, len(p))
		t.head = append(t.head, p[:k]...)
		p = p[k:]
	}
	t.b = append(t.b, p...)
	if len(t.b) > t.max/2 {
		drop := len(t.b) - t.max/2
		t.skipped += drop
		t.b = append(t.b[:0], t.b[drop:]...)
	}
	return n, nil
}

func (t *tailBuffer) String() string {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.skipped == 0 {
		return string(t.head) + string(t.b)
	}
	return fmt.Sprintf("%s\n[… %d bytes …]\n%s", t.head, t.skipped, t.b)
}
