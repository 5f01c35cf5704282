package web

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		addr string
		want bool
	}{
		{"127.0.0.1:8765", true},
		{"127.1.2.3:1", true},
		{"localhost:8765", true},
		{"[::1]:8765", true},
		{":8765", false},
		{"0.0.0.0:8765", false},
		{"[::]:8765", false},
		{"192.168.1.20:8765", false},
		{"example.com:80", false},
	}
	for _, tt := range tests {
		if got := IsLoopback(tt.addr); got != tt.want {
			t.Errorf("IsLoopback(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

func TestResolveToken(t *testing.T) {
	tests := []struct {
		addr, token   string
		wantGenerated bool
		wantEmpty     bool
	}{
		{"127.0.0.1:1", "", false, true},
		{"127.0.0.1:1", "given", false, false},
		{":1", "given", false, false},
		{":1", "", true, false},
	}
	for _, tt := range tests {
		tok, gen, err := ResolveToken(tt.addr, tt.token)
		if err != nil {
			t.Fatal(err)
		}
		if gen != tt.wantGenerated || (tok == "") != tt.wantEmpty || (tt.token != "" && tok != tt.token) {
			t.Errorf("ResolveToken(%q, %q) = %q, %v", tt.addr, tt.token, tok, gen)
		}
		if gen && len(tok) < 20 {
			t.Errorf("generated token %q too short", tok)
		}
	}
}

func TestSameOrigin(t *testing.T) {
	tests := []struct {
		name          string
		origin, fetch string
		want          bool
	}{
		{"no headers (curl)", "", "", true},
		{"same origin", "http://10.0.0.5:8765", "same-origin", true},
		{"other origin", "http://evil.example", "", false},
		{"cross-site fetch", "", "cross-site", false},
		{"same-site but other port", "http://10.0.0.5:9999", "same-site", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("POST", "http://10.0.0.5:8765/ack", nil)
		if tt.origin != "" {
			r.Header.Set("Origin", tt.origin)
		}
		if tt.fetch != "" {
			r.Header.Set("Sec-Fetch-Site", tt.fetch)
		}
		if got := SameOrigin(r); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestSSEMultiline(t *testing.T) {
	var sb strings.Builder
	SSE{Name: "live", Data: "<ul>\r\n<li>a</li>\n</ul>"}.write(&sb)
	want := "event: live\ndata: <ul>\ndata: <li>a</li>\ndata: </ul>\n\n"
	if sb.String() != want {
		t.Fatalf("got %q, want %q", sb.String(), want)
	}
}

func TestBaseURL(t *testing.T) {
	if got := BaseURL(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8765}); got != "http://127.0.0.1:8765/" {
		t.Errorf("loopback: %s", got)
	}
	// Bound to every interface: the URL names a reachable address, not 0.0.0.0.
	if got := BaseURL(&net.TCPAddr{IP: net.IPv4zero, Port: 8765}); strings.Contains(got, "0.0.0.0") {
		t.Errorf("unspecified: %s", got)
	}
}
