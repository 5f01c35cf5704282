package actions

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
)

// fakeOBS speaks the obs-websocket v5 protocol as OBS does: Hello with an
// authentication challenge, Identify checked against the password (close
// 4009 when wrong), Identified, then requests for the program scene.
type fakeOBS struct {
	password string
	scenes   []string
	srv      *httptest.Server

	mu       sync.Mutex
	program  string
	switches []string
	idents   int
	switched chan string
}

func newFakeOBS(t *testing.T, password string) *fakeOBS {
	t.Helper()
	f := &fakeOBS{password: password, scenes: []string{"Slides", "Camera", "BRB"}, program: "Slides", switched: make(chan string, 100)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeOBS) URL() string { return "ws://" + strings.TrimPrefix(f.srv.URL, "http://") }

func (f *fakeOBS) Program() string { f.mu.Lock(); defer f.mu.Unlock(); return f.program }

// SetProgram is someone in the booth switching scenes by hand.
func (f *fakeOBS) SetProgram(s string) { f.mu.Lock(); f.program = s; f.mu.Unlock() }

func (f *fakeOBS) Switches() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.switches)
}

func random() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (f *fakeOBS) serve(w http.ResponseWriter, r *http.Request) {
	c, err := websocket.Accept(w, r, &websocket.AcceptOptions{Subprotocols: []string{"obswebsocket.json"}})
	if err != nil {
		return
	}
	defer c.CloseNow()
	ctx := r.Context()
	if c.Subprotocol() != "obswebsocket.json" {
		c.Close(4006, "subprotocol") // what OBS does for an unsupported encoding
		return
	}
	send := func(op int, d any) {
		b, _ := json.Marshal(map[string]any{"op": op, "d": d})
		c.Write(ctx, websocket.MessageText, b)
	}
	recv := func() (int, json.RawMessage, bool) {
		_, b, err := c.Read(ctx)
		if err != nil {
			return 0, nil, false
		}
		var m struct {
			Op int             `json:"op"`
			D  json.RawMessage `json:"d"`
		}
		if json.Unmarshal(b, &m) != nil {
			return 0, nil, false
		}
		return m.Op, m.D, true
	}

	hello := map[string]any{"obsWebSocketVersion": "5.5.4", "rpcVersion": 1}
	salt, challenge := random(), random()
	if f.password != "" {
		hello["authentication"] = map[string]string{"challenge": challenge, "salt": salt}
	}
	send(0, hello)
	op, d, ok := recv()
	if !ok || op != 1 {
		c.Close(4002, "expected Identify") // MessageDecodeError-ish
		return
	}
	var id struct {
		RPCVersion     int    `json:"rpcVersion"`
		Authentication string `json:"authentication"`
	}
	json.Unmarshal(d, &id)
	if id.RPCVersion != 1 {
		c.Close(4010, "UnsupportedRpcVersion")
		return
	}
	if f.password != "" {
		// Computed here step by step, independently of OBSAuth.
		h1 := sha256.Sum256([]byte(f.password + salt))
		secret := base64.StdEncoding.EncodeToString(h1[:])
		h2 := sha256.Sum256([]byte(secret + challenge))
		if id.Authentication != base64.StdEncoding.EncodeToString(h2[:]) {
			c.Close(4009, "Authentication failed.")
			return
		}
	}
	f.mu.Lock()
	f.idents++
	f.mu.Unlock()
	send(2, map[string]any{"negotiatedRpcVersion": 1})
	for {
		op, d, ok := recv()
		if !ok {
			return
		}
		if op != 6 {
			continue
		}
		var req struct {
			RequestType string `json:"requestType"`
			RequestID   string `json:"requestId"`
			RequestData struct {
				SceneName string `json:"sceneName"`
			} `json:"requestData"`
		}
		json.Unmarshal(d, &req)
		status := map[string]any{"result": true, "code": 100}
		var data any
		f.mu.Lock()
		switch req.RequestType {
		case "GetCurrentProgramScene":
			data = map[string]string{"sceneName": f.program, "currentProgramSceneName": f.program, "sceneUuid": "uuid-" + f.program}
		case "SetCurrentProgramScene":
			if !slices.Contains(f.scenes, req.RequestData.SceneName) {
				status = map[string]any{"result": false, "code": 600, "comment": "No source was found by the name of `" + req.RequestData.SceneName + "`."}
				break
			}
			f.program = req.RequestData.SceneName
			f.switches = append(f.switches, f.program)
			f.switched <- f.program
		default:
			status = map[string]any{"result": false, "code": 204, "comment": "Your request type is not valid."}
		}
		f.mu.Unlock()
		resp := map[string]any{"requestType": req.RequestType, "requestId": req.RequestID, "requestStatus": status}
		if data != nil {
			resp["responseData"] = data
		}
		send(7, resp)
	}
}

func TestOBSHandshake(t *testing.T) {
	tests := []struct {
		name, serverPW, clientPW string
		wantErr                  string
	}{
		{"right password", "hunter2", "hunter2", ""},
		{"wrong password", "hunter2", "hunter3", "refused the password"},
		{"no password given", "hunter2", "", "requires a password"},
		{"no authentication", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeOBS(t, tt.serverPW)
			o := &OBS{URL: f.URL(), Password: tt.clientPW}
			defer o.Close()
			err := o.SetScene(context.Background(), "Camera")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err %v, want %q", err, tt.wantErr)
				}
				if f.Program() != "Slides" {
					t.Fatalf("scene switched without authentication")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := f.Switches(); len(got) != 1 || got[0] != "Camera" {
				t.Fatalf("OBS received switches %v, want [Camera]", got)
			}
			cur, err := o.Scene(context.Background())
			if err != nil || cur != "Camera" {
				t.Fatalf("Scene() = %q, %v", cur, err)
			}
		})
	}
}

func TestOBSRequestErrorKeepsConnection(t *testing.T) {
	f := newFakeOBS(t, "pw")
	o := &OBS{URL: f.URL(), Password: "pw"}
	defer o.Close()
	if err := o.SetScene(context.Background(), "No such scene"); err == nil || !strings.Contains(err.Error(), "code 600") {
		t.Fatalf("err %v, want OBS's failure with its code", err)
	}
	if err := o.SetScene(context.Background(), "BRB"); err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.idents != 1 {
		t.Errorf("identified %d times, want 1 (one connection)", f.idents)
	}
}

func TestOBSReconnects(t *testing.T) {
	f := newFakeOBS(t, "pw")
	o := &OBS{URL: f.URL(), Password: "pw"}
	defer o.Close()
	if err := o.SetScene(context.Background(), "Camera"); err != nil {
		t.Fatal(err)
	}
	// OBS restarts: every connection drops.
	f.srv.CloseClientConnections()
	if err := o.SetScene(context.Background(), "Slides"); err == nil {
		// A write may still succeed on the dead connection; then the read fails.
		t.Log("first request after the drop succeeded")
	}
	if err := o.SetScene(context.Background(), "BRB"); err != nil {
		t.Fatalf("after reconnect: %v", err)
	}
	if f.Program() != "BRB" {
		t.Fatalf("program %q", f.Program())
	}
}
