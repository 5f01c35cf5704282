package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the command writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

// startHub runs `demoguard hub args...` until the test ends and returns
// the URL it announced (with the token, if any) and its stderr.
func startHub(t *testing.T, args ...string) (string, *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stderr syncBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, append([]string{"hub"}, args...), strings.NewReader(""), &stderr, &stderr) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("hub exited: %v", err)
		}
	})
	re := regexp.MustCompile(`hub page: (http://\S+)`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		// The announcement is complete once the hub says it runs.
		if out := stderr.String(); strings.Contains(out, "hub running") {
			if m := re.FindStringSubmatch(out); m != nil {
				return m[1], &stderr
			}
		}
		select {
		case err := <-done:
			t.Fatalf("hub exited: %v: %s", err, stderr.String())
		default:
		}
	}
	t.Fatalf("hub did not announce its URL: %s", stderr.String())
	return "", nil
}

func TestHubCommandAuth(t *testing.T) {
	link, _ := startHub(t, "--listen", "127.0.0.1:0", "--token", "booth-secret")
	base := strings.SplitN(link, "?", 2)[0]
	report := `{"room":"Hall A","agent":"x","heartbeat_ms":2000,"open":[]}`
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"page, no token", "GET", "", "", http.StatusUnauthorized},
		{"page, wrong token", "GET", "?token=wrong", "", http.StatusUnauthorized},
		{"page, right token", "GET", "", "Bearer booth-secret", http.StatusOK},
		{"report, no token", "POST", "api/report", "", http.StatusUnauthorized},
		{"report, wrong token", "POST", "api/report", "Bearer wrong", http.StatusUnauthorized},
		{"report, right token", "POST", "api/report", "Bearer booth-secret", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(report))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Fatalf("%s %s: %d, want %d", tt.method, tt.path, resp.StatusCode, tt.want)
			}
		})
	}
	// The announced link carries the token: a browser following it gets in
	// (the redirect sets the cookie).
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	resp, err := c.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("announced link: %d", resp.StatusCode)
	}
}

func TestHubCommandGeneratesToken(t *testing.T) {
	link, stderr := startHub(t, "--listen", "0.0.0.0:0")
	m := regexp.MustCompile(`\?token=([A-Za-z0-9_-]{20,})`).FindStringSubmatch(link)
	if m == nil {
		t.Fatalf("no generated token in %q", link)
	}
	out := stderr.String()
	if !strings.Contains(out, "--token "+m[1]) {
		t.Errorf("agent command line lacks the token: %s", out)
	}
	if !strings.ContainsAny(out, "█▀▄") {
		t.Errorf("no QR code for a non-loopback hub: %s", out)
	}
	if strings.Count(out, m[1]) != 2 {
		t.Errorf("token printed %d times, want twice (URL and agent command), once each", strings.Count(out, m[1]))
	}
}

func TestHubCommandFlags(t *testing.T) {
	tests := []struct {
		args []string
		code int
	}{
		{[]string{"hub", "extra"}, exitErr},
		{[]string{"hub", "--offline-after", "-1s"}, exitErr},
		{[]string{"hub", "--listen", "256.0.0.1:99999"}, exitErr},
		{[]string{"hub", "-h"}, exitClean},
	}
	for _, tt := range tests {
		if _, _, code := runCmd(t, "", tt.args...); code != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, code, tt.code)
		}
	}
}
