package web

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	qrcode "github.com/skip2/go-qrcode"
)

// Server is an HTTP server on its own listener whose long-lived streams
// end when it closes.
type Server struct {
	srv    *http.Server
	ln     net.Listener
	ctx    context.Context // cancelled on Close, ending event streams
	cancel context.CancelFunc
	once   sync.Once
	err    chan error
	url    string
}

// Listen binds addr and serves h in the background within lim (zero
// fields: the defaults).
func Listen(addr string, h http.Handler, lim Limits) (*Server, error) {
	lim = lim.WithDefaults()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen %s: %w", addr, err)
	}
	s := &Server{
		ln:  LimitListener(ln, lim.MaxConns),
		err: make(chan error, 1),
		url: BaseURL(ln.Addr()),
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.srv = &http.Server{
		Handler:           deadlines(h, lim),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		ReadTimeout:       lim.ReadTimeout,
		IdleTimeout:       lim.IdleTimeout,
		// No WriteTimeout: event streams stay open for hours. deadlines
		// sets one per response instead, and Stream one per write.
		MaxHeaderBytes: 64 << 10,
		BaseContext:    func(net.Listener) context.Context { return s.ctx },
	}
	go func() { s.err <- s.srv.Serve(s.ln) }()
	return s, nil
}

// URL is the base URL, e.g. http://192.168.1.20:8080/, with a reachable
// address when bound to all interfaces (for the phone that scans the QR code).
func (s *Server) URL() string { return s.url }

// Addr is the address actually bound (useful with port 0).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server, ending streams, and waits at most 2 s for
// requests in flight.
func (s *Server) Close() error {
	var err error
	s.once.Do(func() {
		s.cancel()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if e := s.srv.Shutdown(ctx); e != nil {
			s.srv.Close()
			err = fmt.Errorf("close server: %w", e)
		}
		if e := <-s.err; e != nil && !errors.Is(e, http.ErrServerClosed) && err == nil {
			err = fmt.Errorf("serve: %w", e)
		}
	})
	return err
}

// BaseURL returns http://host:port/ for a bound address; an unspecified
// host (0.0.0.0, ::) is replaced by this machine's first LAN address.
func BaseURL(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return "http://" + a.String() + "/"
	}
	ip := ta.IP
	if ip == nil || ip.IsUnspecified() {
		ip = lanIP()
	}
	return "http://" + net.JoinHostPort(ip.String(), fmt.Sprint(ta.Port)) + "/"
}

func lanIP() net.IP {
	ifs, err := net.Interfaces()
	if err == nil {
		for _, i := range ifs {
			if i.Flags&net.FlagUp == 0 || i.Flags&net.FlagLoopback != 0 {
				continue
			}
			addrs, _ := i.Addrs()
			for _, a := range addrs {
				if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLinkLocalUnicast() {
					return n.IP
				}
			}
		}
	}
	return net.IPv4(127, 0, 0, 1)
}

// WithToken returns base with ?token= when token is set.
func WithToken(base, token string) string {
	if token == "" {
		return base
	}
	return base + "?token=" + url.QueryEscape(token)
}

// Announce prints what to open, once, at start, and when qr is set a QR
// code of it for a phone. The URL carries the token only when from is ""
// (the token was generated, so this is the only place to learn it, or it
// was typed on the command line); a token read from a file or the
// environment stays out of the terminal, which may be on the shared
// screen: the line says where the token is, and the page asks for it.
func Announce(w io.Writer, what, base, token, from string, qr bool) {
	link, note := base, ""
	switch {
	case token == "":
	case from == "":
		link = WithToken(base, token)
	default:
		note = " (the page asks for the token in " + from + ")"
	}
	fmt.Fprintf(w, "demoguard: %s: %s%s\n", what, link, note)
	if !qr {
		return
	}
	q, err := qrcode.New(link, qrcode.Low)
	if err != nil {
		return // the URL above is enough
	}
	fmt.Fprint(w, q.ToSmallString(false))
}

// Nonce returns a random value for the Content-Security-Policy's script
// and style nonces.
func Nonce() string {
	b := make([]byte, 12)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

// SecureHeaders sets headers for a page: nothing cached (it shows
// confidential rule names), not framable, no referrer, and only the
// page's own nonce-tagged script and style.
func SecureHeaders(w http.ResponseWriter, nonce string) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if nonce != "" {
		h.Set("Content-Security-Policy", fmt.Sprintf(
			"default-src 'none'; script-src 'nonce-%s'; style-src 'nonce-%s'; connect-src 'self'; img-src data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
			nonce, nonce))
	}
}

// Broadcaster wakes the event streams of every viewer when state changes.
// Notify never blocks: each viewer has a one-slot channel, and a viewer
// that is behind renders the latest state once instead of every change.
type Broadcaster struct {
	// Max caps the subscribers (0: DefaultMaxViewers). Each one is an open
	// connection and a goroutine rendering the page every second.
	Max int

	mu   sync.Mutex
	subs map[chan struct{}]bool
}

// ErrTooManyViewers is Subscribe's answer when Max are subscribed.
var ErrTooManyViewers = errors.New("too many viewers")

// Subscribe returns a channel that receives after each Notify, and a
// function to unsubscribe; ErrTooManyViewers when Max are subscribed.
func (b *Broadcaster) Subscribe() (<-chan struct{}, func(), error) {
	c := make(chan struct{}, 1)
	b.mu.Lock()
	if b.subs == nil {
		b.subs = map[chan struct{}]bool{}
	}
	max := b.Max
	if max <= 0 {
		max = DefaultMaxViewers
	}
	if len(b.subs) >= max {
		b.mu.Unlock()
		return nil, nil, ErrTooManyViewers
	}
	b.subs[c] = true
	b.mu.Unlock()
	return c, func() {
		b.mu.Lock()
		delete(b.subs, c)
		b.mu.Unlock()
	}, nil
}

// Notify wakes every subscriber.
func (b *Broadcaster) Notify() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for c := range b.subs {
		select {
		case c <- struct{}{}:
		default:
		}
	}
}

// Viewers returns the number of open streams.
func (b *Broadcaster) Viewers() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.subs)
}

// Stream serves Server-Sent Events: render is called at once, on every
// Notify and every tick (so timers and "offline" states advance without
// events), and its events are written; it ends when the client goes, the
// server closes, or a write takes longer than the server's WriteTimeout (a
// viewer that stopped reading gives its place back). Past b.Max viewers
// it answers 503.
func Stream(w http.ResponseWriter, r *http.Request, b *Broadcaster, tick time.Duration, render func() []SSE) {
	if _, ok := w.(http.Flusher); !ok {
		http.Error(w, "streaming unsupported", http.StatusInternalServerError)
		return
	}
	wake, unsub, err := b.Subscribe()
	if err != nil {
		w.Header().Set("Retry-After", "30")
		http.Error(w, "demoguard: too many viewers of this page; close one and reload", http.StatusServiceUnavailable)
		return
	}
	defer unsub()
	// The stream runs for hours: a deadline per write instead of one for
	// the response. (The server already lifts the read deadline once the
	// request is read.)
	rc := http.NewResponseController(w)
	writeTimeout := limitsFrom(r.Context()).WriteTimeout
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	t := time.NewTicker(tick)
	defer t.Stop()
	// Browsers reconnect after the retry delay if the stream breaks.
	fmt.Fprint(w, "retry: 1000\n\n")
	// Unchanged parts are not sent again: replacing them would restart
	// whatever the viewer is doing there (a tap on a button, an open list).
	last := map[string]string{}
	for {
		_ = rc.SetWriteDeadline(time.Now().Add(writeTimeout))
		for _, e := range render() {
			if prev, ok := last[e.Name]; ok && prev == e.Data && !e.Always {
				continue
			}
			last[e.Name] = e.Data
			if err := e.write(w); err != nil {
				return
			}
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return
		}
		select {
		case <-r.Context().Done():
			return
		case <-wake:
		case <-t.C:
		}
	}
}

// SSE is one server-sent event.
type SSE struct {
	Name string
	Data string
	// Always sends the event even when Data did not change (a clock that
	// tells the page the stream is alive).
	Always bool
}

func (e SSE) write(w io.Writer) error {
	var sb strings.Builder
	if e.Name != "" {
		sb.WriteString("event: " + e.Name + "\n")
	}
	// A data line ends at a newline; multi-line data takes several lines,
	// which the browser joins with "\n" again.
	for _, l := range strings.Split(strings.ReplaceAll(e.Data, "\r", ""), "\n") {
		sb.WriteString("data: " + l + "\n")
	}
	sb.WriteString("\n")
	_, err := io.WriteString(w, sb.String())
	return err
}
