package hub

import (
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/demoguard/demoguard/scanner/internal/webtest"
)

// cable is a transport whose cable can be pulled: requests fail as if the
// agent's machine had dropped off the network.
type cable struct{ pulled atomic.Bool }

func (c *cable) RoundTrip(r *http.Request) (*http.Response, error) {
	if c.pulled.Load() {
		return nil, errors.New("network is unreachable")
	}
	return http.DefaultTransport.RoundTrip(r)
}

func screenshotDir(t *testing.T) string {
	t.Helper()
	if d := os.Getenv("DEMOGUARD_SCREENSHOTS"); d != "" {
		return d
	}
	return t.TempDir()
}

// TestBrowserHubPage: two agents report to a real hub; Chromium shows both
// rooms, an alert within 1 s, its acknowledgement, and the room whose agent
// drops off the network going offline.
func TestBrowserHubPage(t *testing.T) {
	ctx := webtest.Browser(t, 90*time.Second)
	s, err := Start(Options{Addr: "127.0.0.1:0", Token: "booth-" + strings.Repeat("k", 16), AgentToken: "agent-" + strings.Repeat("k", 16), OfflineAfter: 1500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	agent := func(room string) (*Client, *cable) {
		cb := &cable{}
		c := &Client{URL: s.URL(), Room: room, Token: s.AgentToken(), Heartbeat: 200 * time.Millisecond, HTTP: &http.Client{Transport: cb, Timeout: 2 * time.Second}}
		c.Start()
		t.Cleanup(func() { c.Close() })
		return c, cb
	}
	hallA, _ := agent("Hall A")
	_, cableB := agent("Hall B")

	tile := func(room string) string { return `.tile[data-room="` + room + `"]` }
	if err := chromedp.Do(ctx,
		chromedp.Navigate(s.URL()+"?token="+s.Token()),
		chromedp.WaitVisible(chromedp.CSS(tile("Hall A")+".ok")),
		chromedp.WaitVisible(chromedp.CSS(tile("Hall B")+".ok")),
		chromedp.WaitVisible(chromedp.CSS("#conn.up")),
	); err != nil {
		t.Fatalf("open hub page: %v", err)
	}

	a := alertEvent(t, "unreleased-revenue", "critical", time.Now().Add(-2*time.Second))
	t0 := time.Now()
	hallA.Emit(a)
	sel := tile("Hall A") + `.alert .al[data-id="` + a.Incident + `"]`
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		t.Fatalf("alert not shown: %v", err)
	}
	if d := time.Since(t0); d > time.Second {
		t.Errorf("alert appeared on the hub after %v, want within 1s", d)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".tile").getAttribute("data-room")`))
	if err != nil || first != "Hall A" {
		t.Errorf("first tile %q (%v), want the alerting room first", first, err)
	}

	// The tiles re-render when their text changes (an "ago" that ticks):
	// a click that lands just then finds its node replaced, as a person's
	// would, and is simply made again.
	var clickErr error
	for range 3 {
		if clickErr = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(sel+" form button"))); clickErr == nil || !strings.Contains(clickErr.Error(), "Could not find node") {
			break
		}
	}
	if clickErr != nil {
		t.Fatalf("click Acknowledge: %v", clickErr)
	}
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel+".acked .ackd"))); err != nil {
		t.Fatalf("acknowledgement not shown: %v", err)
	}
	if r := roomsOf(s)["Hall A"]; len(r.Alerts) != 1 || !r.Alerts[0].Acked {
		t.Errorf("hub state after ack: %+v", r)
	}

	// Hall B's agent drops off the network: its tile goes offline after
	// the missed heartbeats, and comes back when the agent does.
	cableB.pulled.Store(true)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(tile("Hall B")+".offline"))); err != nil {
		t.Fatalf("offline room not shown: %v", err)
	}
	text, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(tile("Hall B"))))
	if err != nil || !strings.Contains(text, "Agent offline") {
		t.Errorf("offline tile says %q (%v)", text, err)
	}

	// Two more rooms, to show the page as a booth sees it.
	calm, _ := agent("Room 101")
	_ = calm
	stage, _ := agent("Main stage")
	stage.Emit(alertEvent(t, "customer-emails", "high", time.Now().Add(-75*time.Second)))
	if err := chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(tile("Room 101")+".ok")),
		chromedp.WaitVisible(chromedp.CSS(tile("Main stage")+".alert")),
		chromedp.EmulateViewport(1280, 820),
	); err != nil {
		t.Fatal(err)
	}
	webtest.Screenshot(t, ctx, filepath.Join(screenshotDir(t), "hub.png"))

	cableB.pulled.Store(false)
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(tile("Hall B")+".ok"))); err != nil {
		t.Fatalf("room not back after reconnecting: %v", err)
	}
}
