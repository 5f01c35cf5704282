// Package sink holds the agent's own outputs: the terminal, JSON lines on
// stdout, the audit log, desktop notifications and webhooks. Each is an
// event.Sink; event.Fanout hands events to several, each through a queue of
// its own (a sink that blocks must not hold up the others).
package sink

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/backoff"
	"github.com/demoguard/demoguard/scanner/internal/childenv"
	"github.com/demoguard/demoguard/scanner/internal/queue"
)

// Text writes one human line per event, for the presenter's terminal;
// alerts ring the bell.
type Text struct {
	W        io.Writer
	ShowText bool
	mu       sync.Mutex
}

func (s *Text) Emit(e event.Event) {
	e = e.WithText(s.ShowText)
	var line string
	switch e.Event {
	case event.Alert:
		line = fmt.Sprintf("\a%s ALERT %s %s on display %d at %d,%d %dx%d: %s [%s]",
			e.Time.Format("15:04:05"), e.Severity, e.Rule, deref(e.Display), e.Box.X, e.Box.Y, e.Box.W, e.Box.H, e.Text, e.Incident)
	case event.Clear:
		line = fmt.Sprintf("%s clear %s on display %d after %.1fs exposure [%s]",
			e.Time.Format("15:04:05"), e.Rule, deref(e.Display), float64(deref64(e.ExposureMS))/1000, e.Incident)
	case event.Reload:
		line = fmt.Sprintf("%s rules loaded: %d rules", e.Time.Format("15:04:05"), e.Rules)
	case event.Error:
		where := e.File
		if e.Line > 0 {
			where = fmt.Sprintf("%s:%d", e.File, e.Line)
		}
		if where != "" {
			where += ": "
		}
		line = fmt.Sprintf("%s error: %s%s", e.Time.Format("15:04:05"), where, e.Message)
	default:
		line = fmt.Sprintf("%s %s %s", e.Time.Format("15:04:05"), e.Event, e.Message)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintln(s.W, "demoguard:", line)
}

func (s *Text) Close() error { return nil }

func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func deref64(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// JSON writes one JSON object per line (stdout with --format json).
type JSON struct {
	W        io.Writer
	ShowText bool
	mu       sync.Mutex
}

func (s *JSON) Emit(e event.Event) {
	b, err := json.Marshal(e.WithText(s.ShowText))
	if err != nil {
		return // Event has only plain fields; cannot happen
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.W.Write(append(b, '\n'))
}

func (s *JSON) Close() error { return nil }

// Log appends events as JSON lines to an audit file. It never writes the
// matched text unmasked, whatever --show-text says, and syncs the file after
// every alert so an audit trail survives a crash or a pulled plug.
type Log struct {
	mu  sync.Mutex
	f   *os.File
	err error
}

// OpenLog opens (creating, 0600: it names rules and places) path for appending.
func OpenLog(path string) (*Log, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open log: %w", err)
	}
	return &Log{f: f}, nil
}

func (s *Log) Emit(e event.Event) {
	b, err := json.Marshal(e.WithText(false))
	if err != nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.f.Write(append(b, '\n')); err != nil && s.err == nil {
		s.err = fmt.Errorf("write log: %w", err)
	}
	if e.Event == event.Alert {
		if err := s.f.Sync(); err != nil && s.err == nil {
			s.err = fmt.Errorf("sync log: %w", err)
		}
	}
}

// Close syncs and closes the log; it reports the first write error seen.
func (s *Log) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return s.err
	}
	err := s.f.Sync()
	if cerr := s.f.Close(); err == nil {
		err = cerr
	}
	s.f = nil
	if s.err != nil {
		return s.err
	}
	if err != nil {
		return fmt.Errorf("close log: %w", err)
	}
	return nil
}

// Notify shows a desktop notification per alert. It never includes the
// matched text: a notification on a shared screen is visible to the
// audience. Notifications run in the background and are bounded in time.
type Notify struct {
	// Command builds the notifier command; nil means the platform's
	// (notify-send, osascript, PowerShell toast).
	Command func(title, body string) *exec.Cmd
	wg      sync.WaitGroup
	running atomic.Int32
}

func (s *Notify) Emit(e event.Event) {
	if e.Event != event.Alert {
		return
	}
	if s.running.Load() > 4 {
		return // the notifier hangs; do not pile up processes
	}
	title := "demoguard: " + e.Severity + " " + e.Rule
	body := fmt.Sprintf("on display %d — check your screen", deref(e.Display))
	mk := s.Command
	if mk == nil {
		mk = notifyCommand
	}
	cmd := mk(title, body)
	if cmd == nil {
		return
	}
	s.running.Add(1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.running.Add(-1)
		if err := cmd.Start(); err != nil {
			return
		}
		t := time.AfterFunc(5*time.Second, func() { cmd.Process.Kill() })
		cmd.Wait()
		t.Stop()
	}()
}

func (s *Notify) Close() error { s.wg.Wait(); return nil }

// notifyCommand's tools run without demoguard's tokens and secrets in
// their environment (childenv), like every child process.
func notifyCommand(title, body string) *exec.Cmd {
	cmd := notifyTool(title, body)
	if cmd.Env == nil {
		cmd.Env = childenv.Environ()
	}
	return cmd
}

func notifyTool(title, body string) *exec.Cmd {
	switch runtime.GOOS {
	case "darwin":
		script := fmt.Sprintf("display notification %q with title %q", body, title)
		return exec.Command("osascript", "-e", script)
	case "windows":
		ps := `[Windows.UI.Notifications.ToastNotificationManager, Windows.UI.Notifications, ContentType = WindowsRuntime] > $null;` +
			`$t = [Windows.UI.Notifications.ToastNotificationManager]::GetTemplateContent([Windows.UI.Notifications.ToastTemplateType]::ToastText02);` +
			`$x = $t.GetElementsByTagName('text'); $x.Item(0).AppendChild($t.CreateTextNode($env:DG_TITLE)) > $null; $x.Item(1).AppendChild($t.CreateTextNode($env:DG_BODY)) > $null;` +
			`[Windows.UI.Notifications.ToastNotificationManager]::CreateToastNotifier('demoguard').Show([Windows.UI.Notifications.ToastNotification]::new($t))`
		cmd := exec.Command("powershell", "-NoProfile", "-NonInteractive", "-Command", ps)
		// Through the environment, so no quoting of the title into the script.
		cmd.Env = childenv.Environ("DG_TITLE="+title, "DG_BODY="+body)
		return cmd
	default:
		return exec.Command("notify-send", "--urgency=critical", "--app-name=demoguard", title, body)
	}
}

// Webhook POSTs each event as JSON with an HMAC-SHA256 signature of the
// body in X-Demoguard-Signature ("sha256=<hex>"). Events go through a
// bounded queue to one sender goroutine that retries with backoff, so a slow
// or dead endpoint never slows scanning; when the queue is full the oldest
// event is dropped, counted, and reported through Warn. Emit after Close
// drops the event (counted); it never panics.
type Webhook struct {
	URL      string
	Secret   string
	ShowText bool
	Client   *http.Client
	// Warn receives a line when events are dropped or cannot be delivered.
	Warn func(string)
	// Backoff is the first retry delay (doubled each retry); Attempts the
	// number of tries per event.
	Backoff  time.Duration
	Attempts int
	// CloseWait bounds Close's delivery of what is queued; default 3s.
	CloseWait time.Duration

	q         *queue.Queue[event.Event]
	once      sync.Once
	closeOnce sync.Once
	closing   chan struct{}
	closed    atomic.Bool
	done      chan struct{}
	ctx       context.Context
	cancel    context.CancelFunc
	late      atomic.Int64 // events emitted after Close
	failed    atomic.Int64
}

// webhookQueue bounds the events waiting for a slow endpoint.
const webhookQueue = 256

// SignatureHeader carries the body's HMAC-SHA256 under the webhook secret.
const SignatureHeader = "X-Demoguard-Signature"

// Sign returns the header value for body under secret.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (s *Webhook) start() {
	s.once.Do(func() {
		s.q = queue.New[event.Event](webhookQueue)
		s.closing = make(chan struct{})
		s.done = make(chan struct{})
		s.ctx, s.cancel = context.WithCancel(context.Background())
		if s.Client == nil {
			s.Client = &http.Client{Timeout: 5 * time.Second}
		}
		if s.Backoff <= 0 {
			s.Backoff = 500 * time.Millisecond
		}
		if s.Attempts <= 0 {
			s.Attempts = 4
		}
		if s.CloseWait <= 0 {
			s.CloseWait = 3 * time.Second
		}
		go s.loop()
	})
}

// Dropped returns how many events were dropped: the queue was full, or the
// sink was closed.
func (s *Webhook) Dropped() int64 {
	s.start()
	return s.q.Dropped() + s.late.Load()
}

// Failed returns how many events were given up after all retries.
func (s *Webhook) Failed() int64 { return s.failed.Load() }

func (s *Webhook) Emit(e event.Event) {
	s.start()
	if s.closed.Load() {
		s.late.Add(1)
		return
	}
	if s.q.Push(e.WithText(s.ShowText)) {
		if n := s.q.Dropped(); n == 1 || n%100 == 0 {
			s.warn(fmt.Sprintf("webhook: queue full, %d events dropped so far", n))
		}
	}
}

func (s *Webhook) warn(msg string) {
	if s.Warn != nil {
		s.Warn(msg)
	}
}

// loop sends queued events one by one until Close, then what is left.
func (s *Webhook) loop() {
	defer close(s.done)
	for {
		batch, mark := s.q.Peek(1)
		if len(batch) == 0 {
			select {
			case <-s.q.Wake():
				continue
			case <-s.closing:
				if s.q.Len() == 0 {
					return
				}
				continue
			}
		}
		s.q.Ack(mark)
		body, err := json.Marshal(batch[0])
		if err != nil {
			continue
		}
		if err := s.send(body); err != nil {
			if n := s.failed.Add(1); n == 1 || n%100 == 0 {
				s.warn(fmt.Sprintf("webhook: %v (%d events undelivered so far)", err, n))
			}
		}
	}
}

func (s *Webhook) send(body []byte) error {
	var last error
	bo := backoff.Backoff{Min: s.Backoff, Max: s.Backoff << min(s.Attempts, 16)}
	for i := 0; i < s.Attempts; i++ {
		if i > 0 {
			select {
			case <-time.After(bo.Next()):
			case <-s.ctx.Done():
				return fmt.Errorf("post %s: shutting down: %w", s.URL, last)
			}
		}
		req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, s.URL, bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("webhook request: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "demoguard")
		if s.Secret != "" {
			req.Header.Set(SignatureHeader, Sign(s.Secret, body))
		}
		resp, err := s.Client.Do(req)
		if err != nil {
			last = err
			continue
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode/100 == 2 {
			return nil
		}
		last = fmt.Errorf("post %s: %s", s.URL, resp.Status)
		if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusRequestTimeout {
			return last // the endpoint refuses this event; retrying will not help
		}
	}
	return last
}

// Close delivers what is queued, waiting at most CloseWait (3 s; a dead
// endpoint must not hold up shutdown), then reports drops. It may be called
// more than once, and concurrently.
func (s *Webhook) Close() error {
	s.start()
	s.closeOnce.Do(func() {
		s.closed.Store(true)
		close(s.closing)
		select {
		case <-s.done:
		case <-time.After(s.CloseWait):
			s.cancel()
			<-s.done
		}
		s.cancel()
		var parts []string
		if n := s.q.Dropped(); n > 0 {
			parts = append(parts, fmt.Sprintf("%d events dropped (queue full)", n))
		}
		if n := s.failed.Load(); n > 0 {
			parts = append(parts, fmt.Sprintf("%d events undelivered", n))
		}
		if len(parts) > 0 {
			s.warn("webhook: " + strings.Join(parts, ", "))
		}
	})
	return nil
}
