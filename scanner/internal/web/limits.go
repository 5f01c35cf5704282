package web

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/http"
	"sync"
	"time"
)

// Limits bound what one client can hold of a server: time, connections,
// streams and bytes. Zero fields take the defaults below.
type Limits struct {
	// ReadHeaderTimeout bounds reading a request's headers, ReadTimeout the
	// whole request with its body (a slow sender holds a connection).
	ReadHeaderTimeout, ReadTimeout time.Duration
	// IdleTimeout closes a keep-alive connection with no request.
	IdleTimeout time.Duration
	// WriteTimeout bounds writing a response of an ordinary handler, and
	// each write of an event stream (a stream itself runs for hours).
	WriteTimeout time.Duration
	// MaxConns caps the connections open at once; further ones wait in the
	// kernel's accept queue until one closes.
	MaxConns int
	// MaxViewers caps the event streams open at once; more get 503.
	MaxViewers int
	// MaxBody caps any request body (handlers may cap theirs lower).
	MaxBody int64
}

// Defaults. The hub's agents report every 2 s over one kept-alive
// connection, so 60 s idle never closes a live agent's connection; a report
// is at most 4 MiB, which 30 s reads over the slowest booth Wi-Fi.
const (
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultMaxConns          = 256
	DefaultMaxViewers        = 32
	DefaultMaxBody           = 64 << 10
)

// WithDefaults fills the zero fields.
func (l Limits) WithDefaults() Limits {
	def := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.ReadHeaderTimeout, DefaultReadHeaderTimeout)
	def(&l.ReadTimeout, DefaultReadTimeout)
	def(&l.IdleTimeout, DefaultIdleTimeout)
	def(&l.WriteTimeout, DefaultWriteTimeout)
	if l.MaxConns <= 0 {
		l.MaxConns = DefaultMaxConns
	}
	if l.MaxViewers <= 0 {
		l.MaxViewers = DefaultMaxViewers
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	return l
}

type limitsKey struct{}

func limitsFrom(ctx context.Context) Limits {
	if l, ok := ctx.Value(limitsKey{}).(Limits); ok {
		return l
	}
	return Limits{}.WithDefaults()
}

// deadlines gives every response a write deadline (Stream replaces it with
// one per write) and caps every request body. http.Server's WriteTimeout
// cannot do this: it would cut every event stream after that long.
func deadlines(h http.Handler, l Limits) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not every ResponseWriter supports deadlines (httptest's does not);
		// the server's does.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(l.WriteTimeout))
		LimitBody(w, r, l.MaxBody)
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), limitsKey{}, l)))
	})
}

// LimitBody caps r's body at n bytes: reading more fails, and the server
// closes the connection instead of draining it.
func LimitBody(w http.ResponseWriter, r *http.Request, n int64) {
	if r.Body != nil && r.Body != http.NoBody {
		r.Body = http.MaxBytesReader(w, r.Body, n)
	}
}

// maxForm bounds a form post (an acknowledgement: a room and an incident id).
const maxForm = 4 << 10

// ParseForm reads a small URL-encoded form post, as the pages' acknowledge
// buttons send. Multipart bodies are refused: Go would spool their files
// to disk.
func ParseForm(w http.ResponseWriter, r *http.Request) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/x-www-form-urlencoded" && (ct != "" || r.ContentLength != 0) {
		return ErrContentType
	}
	LimitBody(w, r, maxForm)
	return r.ParseForm()
}

// ErrContentType is returned for a body of the wrong media type.
var ErrContentType = errors.New("unsupported content type")

// FormError answers a request whose form ParseForm refused.
func FormError(w http.ResponseWriter, err error) {
	var tooBig *http.MaxBytesError
	switch {
	case errors.Is(err, ErrContentType):
		http.Error(w, "demoguard: want an application/x-www-form-urlencoded form", http.StatusUnsupportedMediaType)
	case errors.As(err, &tooBig):
		http.Error(w, fmt.Sprintf("demoguard: request body over %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
	default:
		http.Error(w, "demoguard: bad form: "+err.Error(), http.StatusBadRequest)
	}
}

// Bodies caps every request body at n bytes before h (and before the token
// check, which reads no body but must not leave a huge one to drain).
func Bodies(h http.Handler, n int64) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		LimitBody(w, r, n)
		h.ServeHTTP(w, r)
	})
}

// LimitListener returns a listener that accepts at most n connections at
// once (golang.org/x/net/netutil's LimitListener, which is not a
// dependency here): Accept waits while n are open, so a flood of idle
// connections costs the kernel's accept queue and not goroutines and file
// descriptors.
func LimitListener(l net.Listener, n int) net.Listener {
	return &limitListener{Listener: l, sem: make(chan struct{}, n), done: make(chan struct{})}
}

type limitListener struct {
	net.Listener
	sem       chan struct{}
	closeOnce sync.Once
	done      chan struct{}
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *limitListener) Close() error {
	err := l.Listener.Close()
	l.closeOnce.Do(func() { close(l.done) })
	return err
}

// Open is the number of connections open now.
func (l *limitListener) Open() int { return len(l.sem) }

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
