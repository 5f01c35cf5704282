package watch

import (
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/demoguard/demoguard/scanner/actions"
	"github.com/demoguard/demoguard/scanner/agent"
	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/hub"
	"github.com/demoguard/demoguard/scanner/ui"
)

func TestStartPrivateErrors(t *testing.T) {
	tests := []struct {
		name string
		o    privateOptions
		want string
	}{
		{"room without hub", privateOptions{room: "Hall A"}, "--hub"},
		{"hub without room", privateOptions{hub: "http://booth:8766/"}, "--room"},
		{"bad hub URL", privateOptions{hub: "booth:8766", room: "Hall A"}, "http(s) URL"},
		{"bad action", privateOptions{actions: actions.Config{High: &actions.Action{}}}, "actions.high"},
		{"page address taken", privateOptions{ui: "127.0.0.1:-1"}, "presenter page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sb strings.Builder
			_, err := startPrivate(tt.o, nil, func(event.Event) {}, func(string) {}, &sb)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err %v, want %q", err, tt.want)
			}
		})
	}
}

// TestPrivateOutputs wires page, hub and actions as watch does and sends
// one alert through them.
func TestPrivateOutputs(t *testing.T) {
	h := hub.New(hub.Options{Token: "view-tok", AgentToken: "agent-tok"})
	hs := httptest.NewServer(h.Handler())
	defer hs.Close()
	var mu sync.Mutex
	var errs []event.Event
	emit := func(e event.Event) { mu.Lock(); errs = append(errs, e); mu.Unlock() }
	var out strings.Builder
	status := ui.StatusFunc(func() ui.Status { return ui.Status{Rules: 3} })
	p, err := startPrivate(privateOptions{
		ui: "127.0.0.1:0", hub: hs.URL, room: "Hall A", token: "tok", agentToken: "agent-tok",
		actions: actions.Config{Critical: &actions.Action{Command: []string{"sh", "-c", "exit 7"}}},
	}, status, emit, func(string) {}, &out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "presenter page: http://127.0.0.1:") || !strings.Contains(out.String(), "?token=tok") {
		t.Errorf("announcement: %q", out.String())
	}
	outs := event.NewFanout(0, nil)
	p.add(outs)
	if st := outs.Stats(); len(st) != 3 {
		t.Fatalf("%d outputs (%+v), want page, hub and actions", len(st), st)
	}
	d := 0
	now := time.Now()
	outs.Emit(event.Event{Event: event.Alert, Time: now, FirstSeen: &now, Rule: "revenue", Severity: "critical", Display: &d, Incident: "i-1"})
	// Runs the command; its failure is reported first.
	if err := outs.CloseOutput(actionsOutput, time.Now().Add(5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if err := outs.Close(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(errs) != 1 || !strings.Contains(errs[0].Message, "exit status 7") {
		t.Errorf("error events %+v", errs)
	}
	rooms := h.State()
	if len(rooms) != 1 || rooms[0].Room != "Hall A" || len(rooms[0].Alerts) != 1 || !rooms[0].Offline {
		t.Errorf("hub state %+v: want Hall A with the alert, stopped", rooms)
	}
}

// TestPrivateTokenFromFile: the page's token read from a file is not
// printed; the announcement says where it is.
func TestPrivateTokenFromFile(t *testing.T) {
	var out strings.Builder
	p, err := startPrivate(privateOptions{ui: "127.0.0.1:0", token: "file-tok", tokenFrom: "/home/ana/.config/demoguard/page.token"},
		ui.StatusFunc(func() ui.Status { return ui.Status{} }), func(event.Event) {}, func(string) {}, &out)
	if err != nil {
		t.Fatal(err)
	}
	defer p.page.Close()
	if strings.Contains(out.String(), "file-tok") || !strings.Contains(out.String(), "page.token") {
		t.Errorf("announcement: %q", out.String())
	}
}

func TestAgentStatus(t *testing.T) {
	a := agent.New(agent.Config{})
	s := &agentStatus{
		agent:    a,
		displays: func() []string { return []string{"0: 1920x1080+0+0"} },
		rules:    func() (int, []string) { return 5, []string{"/x/acme.toml"} },
	}
	st := s.Status()
	if st.Rules != 5 || len(st.Sources) != 1 || len(st.Displays) != 1 || st.FPS != 0 {
		t.Fatalf("status %+v", st)
	}
}
