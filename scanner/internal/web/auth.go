// Package web holds what the presenter page (scanner/ui) and the AV booth
// hub (scanner/hub) share: token authentication, listening and announcing
// the URL, Server-Sent Events and security headers.
package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"html/template"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// NewToken returns a random URL-safe token (128 bits).
func NewToken() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("generate token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// NormalizeAddr accepts a bare port ("8765") as loopback on that port, the
// safe default; anything else is returned as given.
func NormalizeAddr(addr string) string {
	if _, err := strconv.Atoi(addr); err == nil {
		return net.JoinHostPort("127.0.0.1", addr)
	}
	return addr
}

// IsLoopback reports whether addr (host:port, as given to --ui or --listen)
// binds only to the loopback interface. An empty host binds every interface
// and is not loopback; "localhost" is, as Go resolves it to loopback only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// ResolveToken applies the rule both servers follow: a loopback address
// needs no token (but honours one given), any other address requires one,
// generated when not given. generated tells the caller to print it.
func ResolveToken(addr, token string) (tok string, generated bool, err error) {
	if token != "" || IsLoopback(addr) {
		return token, false, nil
	}
	tok, err = NewToken()
	return tok, err == nil, err
}

// Prepare settles the address (def when empty, a bare port on loopback) and
// the token (generated off loopback when none was given) a server starts with.
func Prepare(addr, def, token string) (string, string, error) {
	if addr == "" {
		addr = def
	}
	addr = NormalizeAddr(addr)
	tok, _, err := ResolveToken(addr, token)
	return addr, tok, err
}

// Guard checks requests for the token. With an empty Token every request
// passes (loopback only; see ResolveToken), except that the Host header must
// then name a loopback host: without a token, a web page the presenter opens
// could otherwise read the alerts through DNS rebinding.
type Guard struct {
	Token string
	// Cookie is the cookie's name; it should include the port, as browsers
	// share cookies between ports of one host and two servers on one machine
	// (an agent's page and the hub) have different tokens.
	Cookie string
	// Realm names the server in 401 responses.
	Realm string
}

// CookieName returns a cookie name for a server of kind on addr's port.
func CookieName(kind, addr string) string {
	_, port, err := net.SplitHostPort(addr)
	if err != nil || port == "" {
		return "demoguard_" + kind
	}
	return "demoguard_" + kind + "_" + port
}

// Wrap returns h behind the token check. A valid ?token= on a GET sets the
// cookie and redirects to the same URL without the token, so the token does
// not stay in the address bar (which may be on the shared screen) or in the
// browser history; later requests carry the cookie. The cookie holds a
// session value derived from the token, not the token: what a browser's
// cookie store gives away opens this page and nothing else (not the
// agents' API, and not another server sharing the token). Scripts use
// "Authorization: Bearer TOKEN".
func (g *Guard) Wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if g.Token == "" {
			if !loopbackHost(r.Host) {
				http.Error(w, "demoguard: this server answers only on a loopback address", http.StatusForbidden)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		if q := r.URL.Query(); q.Has("token") {
			if !g.equal(q.Get("token")) {
				g.deny(w, r)
				return
			}
			http.SetCookie(w, &http.Cookie{
				Name: g.Cookie, Value: g.session(), Path: "/",
				HttpOnly: true, SameSite: http.SameSiteStrictMode,
				Secure: r.TLS != nil, MaxAge: 7 * 24 * 3600,
			})
			if r.Method == http.MethodGet || r.Method == http.MethodHead {
				q.Del("token")
				u := *r.URL
				u.RawQuery = q.Encode()
				http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		if tok, ok := bearer(r); ok {
			if !g.equal(tok) {
				g.deny(w, r)
				return
			}
			h.ServeHTTP(w, r)
			return
		}
		if c, err := r.Cookie(g.Cookie); err == nil && equalToken(c.Value, g.session()) {
			h.ServeHTTP(w, r)
			return
		}
		g.deny(w, r)
	})
}

// SessionValue is the cookie's value for token: HMAC-SHA256 of a fixed
// label (naming the cookie) keyed with the token.
func SessionValue(token, cookie string) string {
	m := hmac.New(sha256.New, []byte(token))
	m.Write([]byte("demoguard viewer session\x00" + cookie))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (g *Guard) session() string { return SessionValue(g.Token, g.Cookie) }

func (g *Guard) equal(got string) bool { return equalToken(got, g.Token) }

// equalToken compares in constant time. Hashing first makes the comparison
// independent of the lengths too (ConstantTimeCompare returns early on a
// length mismatch, which would leak the token's length).
func equalToken(got, want string) bool {
	a := sha256.Sum256([]byte(got))
	b := sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(a[:], b[:]) == 1
}

func (g *Guard) deny(w http.ResponseWriter, r *http.Request) {
	realm := g.Realm
	if realm == "" {
		realm = "demoguard"
	}
	w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm))
	// A browser that opened the URL without the token (it was announced
	// without it, or the cookie expired) gets a form to type it into.
	if r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html") {
		nonce := Nonce()
		SecureHeaders(w, nonce)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusUnauthorized)
		tokenForm.Execute(w, map[string]string{"Realm": realm, "Nonce": nonce})
		return
	}
	http.Error(w, "demoguard: a valid token is required (open the URL with ?token= printed at start, or send Authorization: Bearer)", http.StatusUnauthorized)
}

// tokenForm asks for the token; submitting it is a GET with ?token=, which
// Wrap turns into the cookie. A password field, so it is not shown on a
// shared screen.
var tokenForm = template.Must(template.New("token").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Realm}}: token</title><style nonce="{{.Nonce}}">` + BaseCSS + `
input{font:inherit;color:var(--fg);background:var(--panel);border:1px solid var(--line);border-radius:.5rem;padding:.55rem .9rem;min-height:44px;margin:.5rem .5rem .5rem 0}</style></head>
<body><main><h1>{{.Realm}}</h1>
<form method="get" action=""><label for="token">Token</label>
<input id="token" name="token" type="password" autocomplete="current-password" autofocus required>
<button type="submit">Open</button></form>
<p class="dim">The token was printed when demoguard started, or is in the file it was read from.</p>
</main></body></html>
`))

// Reports guards the agents' API (POST /api/report): no browser may send a
// report. With token set it takes only "Authorization: Bearer token" (never
// a viewer's cookie); without one (loopback), the Host must be a loopback
// name. Either way the body must be declared JSON and the request must not
// come from another site: a page the operator visits could otherwise POST
// a text/plain "simple" request, which browsers send cross-site without
// asking, and wipe a room's alerts with a made-up agent id. (A cross-site
// application/json POST needs a CORS preflight, which this server never
// grants.)
func Reports(token, realm string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if token != "" {
			if tok, ok := bearer(r); !ok || !equalToken(tok, token) {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", realm+" agents"))
				http.Error(w, "demoguard: the agents' API needs Authorization: Bearer AGENT-TOKEN", http.StatusUnauthorized)
				return
			}
		} else if !loopbackHost(r.Host) {
			http.Error(w, "demoguard: this server answers only on a loopback address", http.StatusForbidden)
			return
		}
		if ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); ct != "application/json" {
			http.Error(w, "demoguard: a report is application/json", http.StatusUnsupportedMediaType)
			return
		}
		if !SameOrigin(r) {
			http.Error(w, "demoguard: cross-site request refused", http.StatusForbidden)
			return
		}
		h.ServeHTTP(w, r)
	})
}

func bearer(r *http.Request) (string, bool) {
	h := r.Header.Get("Authorization")
	const p = "Bearer "
	if len(h) > len(p) && strings.EqualFold(h[:len(p)], p) {
		return strings.TrimSpace(h[len(p):]), true
	}
	return "", false
}

func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	return IsLoopback(host)
}

// SameOrigin rejects state-changing requests sent by other sites: the
// cookie is SameSite=Strict, but the loopback server without a token has no
// cookie to rely on, so Origin (or Sec-Fetch-Site) must match.
func SameOrigin(r *http.Request) bool {
	if s := r.Header.Get("Sec-Fetch-Site"); s != "" && s != "same-origin" && s != "none" {
		return false
	}
	o := r.Header.Get("Origin")
	if o == "" {
		return true // not a browser, or a same-origin navigation by an old one
	}
	u, err := url.Parse(o)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}
