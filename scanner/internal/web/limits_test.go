package web

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// guard bounds a test that would otherwise hang; it is no timing
// assertion: everything it waits for happens in well under a second.
const guard = 20 * time.Second

// short are limits small enough to watch them act.
var short = Limits{
	ReadHeaderTimeout: 300 * time.Millisecond,
	ReadTimeout:       300 * time.Millisecond,
	IdleTimeout:       300 * time.Millisecond,
	WriteTimeout:      300 * time.Millisecond,
}

func listen(t *testing.T, h http.Handler, lim Limits) *Server {
	t.Helper()
	s, err := Listen("127.0.0.1:0", h, lim)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dial(t *testing.T, s *Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", s.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// closedByServer reads until the server closes c, and says whether it did
// before the guard.
func closedByServer(c net.Conn) bool {
	c.SetReadDeadline(time.Now().Add(guard))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	return !(errors.As(err, &ne) && ne.Timeout())
}

// TestConnectionTimeouts: a client that holds a connection without
// finishing a request, or idles after one (a 401 among them), is cut off.
func TestConnectionTimeouts(t *testing.T) {
	tok := &Guard{Token: "tok", Cookie: "c"}
	h := tok.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		fmt.Fprint(w, "ok")
	}))
	tests := []struct {
		name, send string
	}{
		{"headers never finished", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n"},
		{"body never finished", "POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\nContent-Length: 100\r\n\r\nhalf"},
		{"idle after a 401", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"},
		{"idle after a 200", "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer tok\r\n\r\n"},
		{"nothing sent", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := listen(t, h, short)
			c := dial(t, s)
			if _, err := io.WriteString(c, tt.send); err != nil {
				t.Fatal(err)
			}
			if !closedByServer(c) {
				t.Fatalf("connection still open after %v", guard)
			}
		})
	}
}

// TestWriteDeadline: an ordinary response to a client that stopped reading
// fails within the write timeout instead of holding a goroutine forever.
func TestWriteDeadline(t *testing.T) {
	failed := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64<<10)
		for {
			if _, err := w.Write(buf); err != nil {
				failed <- err
				return
			}
		}
	})
	s := listen(t, h, short)
	c := dial(t, s)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	// The client never reads: the socket buffers fill and writes block.
	select {
	case err := <-failed:
		t.Logf("write failed as wanted: %v", err)
	case <-time.After(guard):
		t.Fatal("a write to a client that does not read never failed")
	}
}

// TestStreamOutlivesTimeouts: an event stream keeps delivering long after
// the read and write timeouts, and a viewer that stops reading is dropped
// (its place is given back) instead of blocking forever.
func TestStreamOutlivesTimeouts(t *testing.T) {
	var b Broadcaster
	var n atomic.Int64
	big := strings.Repeat("x", 32<<10)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Stream(w, r, &b, 20*time.Millisecond, func() []SSE {
			return []SSE{{Name: "n", Data: fmt.Sprint(n.Add(1)), Always: true}, {Name: "pad", Data: big, Always: true}}
		})
	})
	s := listen(t, h, short)

	// A reading viewer: events keep coming for several times the timeouts.
	c := dial(t, s)
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	br := bufio.NewReaderSize(c, 64<<10)
	c.SetReadDeadline(time.Now().Add(guard))
	start := time.Now()
	for time.Since(start) < 4*short.WriteTimeout {
		if _, err := br.ReadString('\n'); err != nil {
			t.Fatalf("stream ended after %v: %v", time.Since(start), err)
		}
	}
	c.Close()

	// A viewer that never reads: once the buffers are full a write blocks
	// past the timeout, and the stream ends.
	stuck := dial(t, s)
	io.WriteString(stuck, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
	deadline := time.Now().Add(guard)
	for b.Viewers() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	for b.Viewers() > 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if v := b.Viewers(); v != 0 {
		t.Fatalf("%d viewers still subscribed: a stuck viewer is never dropped", v)
	}
}

// TestViewerCap: past Max viewers the stream answers 503; a viewer leaving
// makes room.
func TestViewerCap(t *testing.T) {
	b := Broadcaster{Max: 2}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		Stream(w, r, &b, time.Second, func() []SSE { return []SSE{{Name: "x", Data: "y"}} })
	})
	s := listen(t, h, Limits{})
	open := func() (*http.Response, error) {
		return http.Get(s.URL())
	}
	var held []*http.Response
	for i := 0; i < 2; i++ {
		resp, err := open()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("viewer %d: %s", i, resp.Status)
		}
		held = append(held, resp)
	}
	resp, err := open()
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third viewer: %s, want 503 with Retry-After", resp.Status)
	}
	held[0].Body.Close()
	deadline := time.Now().Add(guard)
	for b.Viewers() > 1 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	resp, err = open()
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after one left: %s", resp.Status)
	}
	held[1].Body.Close()
}

// TestConnectionCap: with MaxConns held open, the next connection is not
// served until one of them closes.
func TestConnectionCap(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "ok") })
	s := listen(t, h, Limits{MaxConns: 2})
	a, b := dial(t, s), dial(t, s)
	// Both are accepted (and held: no request, and the header timeout is
	// the default 10 s). Make sure by completing a request on each.
	for _, c := range []net.Conn{a, b} {
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	served := make(chan error, 1)
	go func() {
		c, err := net.Dial("tcp", s.Addr().String())
		if err != nil {
			served <- err
			return
		}
		defer c.Close()
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(guard))
		_, err = http.ReadResponse(bufio.NewReader(c), nil)
		served <- err
	}()
	select {
	case err := <-served:
		t.Fatalf("a third connection was served while two were held (%v)", err)
	case <-time.After(300 * time.Millisecond):
	}
	a.Close()
	if err := <-served; err != nil {
		t.Fatalf("third connection after one closed: %v", err)
	}
}

// TestBodyCap: bodies past MaxBody fail to read and get 413; a handler
// reading a form refuses multipart (Go would spool it to disk).
func TestBodyCap(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/form" {
			if err := ParseForm(w, r); err != nil {
				FormError(w, err)
				return
			}
			fmt.Fprint(w, r.FormValue("incident"))
			return
		}
		if _, err := io.ReadAll(r.Body); err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				http.Error(w, "too big", http.StatusRequestEntityTooLarge)
				return
			}
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprint(w, "ok")
	})
	s := listen(t, h, Limits{MaxBody: 8 << 10})
	tests := []struct {
		name, path, ctype, body string
		want                    int
	}{
		{"small body", "raw", "application/json", strings.Repeat("x", 8<<10), http.StatusOK},
		{"body over MaxBody", "raw", "application/json", strings.Repeat("x", 8<<10+1), http.StatusRequestEntityTooLarge},
		{"form", "form", "application/x-www-form-urlencoded", "incident=a-1", http.StatusOK},
		{"form over 4 KiB", "form", "application/x-www-form-urlencoded", "incident=" + strings.Repeat("x", 5<<10), http.StatusRequestEntityTooLarge},
		{"multipart form", "form", "multipart/form-data; boundary=b", "--b\r\nContent-Disposition: form-data; name=\"incident\"\r\n\r\na-1\r\n--b--\r\n", http.StatusUnsupportedMediaType},
		{"text/plain form", "form", "text/plain", "incident=a-1", http.StatusUnsupportedMediaType},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(s.URL()+tt.path, tt.ctype, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s: %s, want %d", tt.name, resp.Status, tt.want)
			}
		})
	}
}
