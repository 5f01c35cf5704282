package web

import (
	"net"
	"net/http"
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

func TestSessionCookie(t *testing.T) {
	g := &Guard{Token: "tok-1", Cookie: "demoguard_hub_8766"}
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://10.0.0.5:8766/?token=tok-1", nil))
	cs := w.Result().Cookies()
	if len(cs) != 1 {
		t.Fatalf("cookies %v", cs)
	}
	if cs[0].Value == "tok-1" || strings.Contains(cs[0].Value, "tok-1") || cs[0].Value != SessionValue("tok-1", g.Cookie) {
		t.Fatalf("cookie %q: want the session value, not the token", cs[0].Value)
	}
	tests := []struct {
		name, cookie string
		want         int
	}{
		{"session value", SessionValue("tok-1", g.Cookie), http.StatusOK},
		{"the token itself", "tok-1", http.StatusUnauthorized},
		{"another token's session", SessionValue("tok-2", g.Cookie), http.StatusUnauthorized},
		{"another server's session", SessionValue("tok-1", "demoguard_ui_8765"), http.StatusUnauthorized},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "http://10.0.0.5:8766/", nil)
		r.AddCookie(&http.Cookie{Name: g.Cookie, Value: tt.cookie})
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tt.want {
			t.Errorf("%s: %d, want %d", tt.name, w.Code, tt.want)
		}
	}
}

// TestTokenForm: a browser without the token gets a form to type it in,
// which sends it the way the printed URL does; scripts get plain text.
func TestTokenForm(t *testing.T) {
	g := &Guard{Token: "tok-1", Cookie: "c", Realm: "demoguard hub"}
	h := g.Wrap(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	r := httptest.NewRequest("GET", "http://10.0.0.5:8766/", nil)
	r.Header.Set("Accept", "text/html,application/xhtml+xml")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	body := w.Body.String()
	if w.Code != http.StatusUnauthorized || !strings.Contains(body, `name="token"`) || !strings.Contains(body, `type="password"`) || !strings.Contains(body, `method="get"`) {
		t.Fatalf("browser without token: %d %s", w.Code, body)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("form page without the CSP: %q", csp)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "http://10.0.0.5:8766/state.json", nil))
	if w.Code != http.StatusUnauthorized || strings.Contains(w.Body.String(), "<form") {
		t.Errorf("script without token: %d %s", w.Code, w.Body)
	}
}

// TestReports: only an agent's request reaches the agents' API. The
// attack it stops: a page the operator visits POSTs text/plain (a "simple"
// request browsers send cross-site without a preflight).
func TestReports(t *testing.T) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	tests := []struct {
		name, token, host, auth, ctype, origin, site string
		want                                         int
	}{
		{"agent with token", "agent-tok", "10.0.0.5:8766", "Bearer agent-tok", "application/json", "", "", http.StatusNoContent},
		{"wrong token", "agent-tok", "10.0.0.5:8766", "Bearer viewer-tok", "application/json", "", "", http.StatusUnauthorized},
		{"no token", "agent-tok", "10.0.0.5:8766", "", "application/json", "", "", http.StatusUnauthorized},
		{"token, text/plain", "agent-tok", "10.0.0.5:8766", "Bearer agent-tok", "text/plain", "", "", http.StatusUnsupportedMediaType},
		{"loopback agent", "", "127.0.0.1:8766", "", "application/json; charset=utf-8", "", "", http.StatusNoContent},
		{"loopback, cross-site text/plain", "", "127.0.0.1:8766", "", "text/plain;charset=UTF-8", "https://evil.example", "cross-site", http.StatusUnsupportedMediaType},
		{"loopback, text/plain without origin", "", "127.0.0.1:8766", "", "text/plain", "", "", http.StatusUnsupportedMediaType},
		{"loopback, form", "", "127.0.0.1:8766", "", "application/x-www-form-urlencoded", "https://evil.example", "", http.StatusUnsupportedMediaType},
		{"loopback, cross-site JSON", "", "127.0.0.1:8766", "", "application/json", "https://evil.example", "", http.StatusForbidden},
		{"loopback, cross-site by fetch metadata", "", "127.0.0.1:8766", "", "application/json", "", "cross-site", http.StatusForbidden},
		{"loopback, rebound host", "", "evil.example:8766", "", "application/json", "", "", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "http://"+tt.host+"/api/report", strings.NewReader(`{"room":"Hall A"}`))
			for k, v := range map[string]string{"Authorization": tt.auth, "Content-Type": tt.ctype, "Origin": tt.origin, "Sec-Fetch-Site": tt.site} {
				if v != "" {
					r.Header.Set(k, v)
				}
			}
			w := httptest.NewRecorder()
			Reports(tt.token, "demoguard hub", ok).ServeHTTP(w, r)
			if w.Code != tt.want {
				t.Fatalf("%d, want %d: %s", w.Code, tt.want, w.Body)
			}
		})
	}
}

func TestAnnounce(t *testing.T) {
	tests := []struct {
		name, token, from string
		wantToken         bool
		wantNote          string
	}{
		{"no token (loopback)", "", "", false, ""},
		{"generated or typed", "tok-123", "", true, ""},
		{"from a file", "tok-123", "/etc/demoguard/hub.token", false, "/etc/demoguard/hub.token"},
		{"from the environment", "tok-123", "$DEMOGUARD_HUB_TOKEN", false, "$DEMOGUARD_HUB_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			Announce(&sb, "hub page", "http://10.0.0.5:8766/", tt.token, tt.from, true)
			out := sb.String()
			if got := strings.Contains(out, "tok-123"); got != tt.wantToken {
				t.Errorf("token printed: %v, want %v: %s", got, tt.wantToken, out)
			}
			if !strings.Contains(out, tt.wantNote) || !strings.Contains(out, "http://10.0.0.5:8766/") {
				t.Errorf("announcement lacks %q: %s", tt.wantNote, out)
			}
			if !strings.ContainsAny(out, "█▀▄") {
				t.Errorf("no QR code")
			}
		})
	}
}
