package main

import (
	"bytes"
	"context"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
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
	link, _ := startHub(t, "--listen", "127.0.0.1:0", "--token", "booth-secret", "--agent-token", "agent-secret")
	base := strings.SplitN(link, "?", 2)[0]
	report := `{"room":"Hall A","agent":"x","heartbeat_ms":2000,"open":[]}`
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"page, no token", "GET", "", "", http.StatusUnauthorized},
		{"page, wrong token", "GET", "?token=wrong", "", http.StatusUnauthorized},
		{"page, viewer token", "GET", "", "Bearer booth-secret", http.StatusOK},
		{"page, agent token", "GET", "", "Bearer agent-secret", http.StatusUnauthorized},
		{"report, no token", "POST", "api/report", "", http.StatusUnauthorized},
		{"report, wrong token", "POST", "api/report", "Bearer wrong", http.StatusUnauthorized},
		{"report, viewer token", "POST", "api/report", "Bearer booth-secret", http.StatusUnauthorized},
		{"report, agent token", "POST", "api/report", "Bearer agent-secret", http.StatusNoContent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, base+tt.path, strings.NewReader(report))
			req.Header.Set("Content-Type", "application/json")
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
	a := regexp.MustCompile(`--agent-token ([A-Za-z0-9_-]{20,})`).FindStringSubmatch(out)
	if a == nil {
		t.Fatalf("agent command line lacks a generated agent token: %s", out)
	}
	if a[1] == m[1] {
		t.Errorf("the agents' token is the viewers' token %q", a[1])
	}
	if !strings.ContainsAny(out, "█▀▄") {
		t.Errorf("no QR code for a non-loopback hub: %s", out)
	}
	if strings.Count(out, m[1]) != 1 || strings.Count(out, a[1]) != 1 {
		t.Errorf("viewer token printed %d times, agent token %d: want once each", strings.Count(out, m[1]), strings.Count(out, a[1]))
	}
}

// TestHubCommandTokenSources: tokens read from files or the environment
// work and are not printed; the announcement says where they are.
func TestHubCommandTokenSources(t *testing.T) {
	dir := t.TempDir()
	viewFile, agentFile := filepath.Join(dir, "view.token"), filepath.Join(dir, "agent.token")
	os.WriteFile(viewFile, []byte("view-from-file\n"), 0o600)
	os.WriteFile(agentFile, []byte("  agent-from-file\n"), 0o600)
	tests := []struct {
		name         string
		args         []string
		env          map[string]string
		view, agent  string
		wantInOutput []string
	}{
		{"files", []string{"--token-file", viewFile, "--agent-token-file", agentFile}, nil, "view-from-file", "agent-from-file", []string{viewFile, agentFile}},
		{"environment", nil, map[string]string{"DEMOGUARD_HUB_TOKEN": "view-from-env", "DEMOGUARD_AGENT_TOKEN": "agent-from-env"}, "view-from-env", "agent-from-env", []string{"$DEMOGUARD_HUB_TOKEN", "$DEMOGUARD_AGENT_TOKEN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			link, stderr := startHub(t, append([]string{"--listen", "127.0.0.1:0"}, tt.args...)...)
			out := stderr.String()
			if strings.Contains(out, tt.view) || strings.Contains(out, tt.agent) || strings.Contains(link, "token=") {
				t.Errorf("a token read from %s was printed: %s", tt.name, out)
			}
			for _, w := range tt.wantInOutput {
				if !strings.Contains(out, w) {
					t.Errorf("announcement does not say the token is in %s: %s", w, out)
				}
			}
			for _, c := range []struct {
				method, path, token string
				want                int
			}{
				{"GET", "state.json", tt.view, http.StatusOK},
				{"POST", "api/report", tt.agent, http.StatusNoContent},
				{"POST", "api/report", tt.view, http.StatusUnauthorized},
			} {
				req, _ := http.NewRequest(c.method, link+c.path, strings.NewReader(`{"room":"Hall A","agent":"x","open":[]}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+c.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != c.want {
					t.Errorf("%s %s: %s, want %d", c.method, c.path, resp.Status, c.want)
				}
			}
		})
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
		{[]string{"hub", "--token", "same", "--agent-token", "same"}, exitErr},
		{[]string{"hub", "--token", "a", "--token-file", "/dev/null"}, exitErr},
		{[]string{"hub", "--agent-token-file", "/nonexistent/agent.token"}, exitErr},
	}
	for _, tt := range tests {
		if _, _, code := runCmd(t, "", tt.args...); code != tt.code {
			t.Errorf("%v: exit %d, want %d", tt.args, code, tt.code)
		}
	}
}
