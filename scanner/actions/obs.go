package actions

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// obs-websocket v5 opcodes (https://github.com/obsproject/obs-websocket/blob/master/docs/generated/protocol.md).
const (
	opHello           = 0
	opIdentify        = 1
	opIdentified      = 2
	opRequest         = 6
	opRequestResponse = 7
)

// obsAuthFailed is the close code OBS sends for a wrong password.
const obsAuthFailed = 4009

// OBSSubprotocol is the WebSocket subprotocol obs-websocket v5 speaks.
const OBSSubprotocol = "obswebsocket.json"

// OBSAuth computes the Identify message's authentication string:
// base64(sha256(base64(sha256(password + salt)) + challenge)).
func OBSAuth(password, salt, challenge string) string {
	s := sha256.Sum256([]byte(password + salt))
	secret := base64.StdEncoding.EncodeToString(s[:])
	a := sha256.Sum256([]byte(secret + challenge))
	return base64.StdEncoding.EncodeToString(a[:])
}

// OBS is a client for obs-websocket v5. It connects on the first request
// and again after any failure, so an OBS restarted mid-talk is picked up.
// It is safe for concurrent use (requests are serialised).
type OBS struct {
	URL      string
	Password string
	Timeout  time.Duration // per request, including connecting; default 3s

	mu   sync.Mutex
	conn *websocket.Conn
	id   int
}

type obsMsg struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
}

// SetScene switches OBS's program output to scene.
func (o *OBS) SetScene(ctx context.Context, scene string) error {
	_, err := o.Request(ctx, "SetCurrentProgramScene", map[string]string{"sceneName": scene})
	return err
}

// Scene returns the scene on program now.
func (o *OBS) Scene(ctx context.Context) (string, error) {
	raw, err := o.Request(ctx, "GetCurrentProgramScene", nil)
	if err != nil {
		return "", err
	}
	var d struct {
		SceneName               string `json:"sceneName"`
		CurrentProgramSceneName string `json:"currentProgramSceneName"` // before 5.3, and still sent
	}
	if err := json.Unmarshal(raw, &d); err != nil {
		return "", fmt.Errorf("obs: GetCurrentProgramScene: %w", err)
	}
	if d.SceneName != "" {
		return d.SceneName, nil
	}
	return d.CurrentProgramSceneName, nil
}

// Request sends one request and returns its responseData.
func (o *OBS) Request(ctx context.Context, typ string, data any) (json.RawMessage, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = 3 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	if o.conn == nil {
		if err := o.connect(ctx); err != nil {
			return nil, err
		}
	}
	res, err := o.request(ctx, typ, data)
	var re *requestError
	if err != nil && !errors.As(err, &re) {
		// The connection is in an unknown state: start afresh next time.
		o.conn.CloseNow()
		o.conn = nil
	}
	return res, err
}

// requestError is OBS answering a request with a failure; the connection
// itself is fine.
type requestError struct {
	typ     string
	code    int
	comment string
}

func (e *requestError) Error() string {
	return fmt.Sprintf("obs: %s failed (code %d): %s", e.typ, e.code, e.comment)
}

func (o *OBS) request(ctx context.Context, typ string, data any) (json.RawMessage, error) {
	o.id++
	id := strconv.Itoa(o.id)
	req := map[string]any{"requestType": typ, "requestId": id}
	if data != nil {
		req["requestData"] = data
	}
	if err := o.send(ctx, opRequest, req); err != nil {
		return nil, err
	}
	for {
		m, err := o.read(ctx)
		if err != nil {
			return nil, fmt.Errorf("obs: %s: %w", typ, err)
		}
		if m.Op != opRequestResponse {
			continue // events (none subscribed) and anything else
		}
		var r struct {
			RequestID     string `json:"requestId"`
			RequestStatus struct {
				Result  bool   `json:"result"`
				Code    int    `json:"code"`
				Comment string `json:"comment"`
			} `json:"requestStatus"`
			ResponseData json.RawMessage `json:"responseData"`
		}
		if err := json.Unmarshal(m.D, &r); err != nil {
			return nil, fmt.Errorf("obs: %s: bad response: %w", typ, err)
		}
		if r.RequestID != id {
			continue
		}
		if !r.RequestStatus.Result {
			return nil, &requestError{typ, r.RequestStatus.Code, r.RequestStatus.Comment}
		}
		return r.ResponseData, nil
	}
}

// connect dials and goes through Hello → Identify (with the password's
// answer to the challenge) → Identified.
func (o *OBS) connect(ctx context.Context) error {
	c, _, err := websocket.Dial(ctx, o.URL, &websocket.DialOptions{Subprotocols: []string{OBSSubprotocol}})
	if err != nil {
		return fmt.Errorf("obs: connect %s: %w", o.URL, err)
	}
	c.SetReadLimit(1 << 20)
	o.conn = c
	fail := func(err error) error {
		c.CloseNow()
		o.conn = nil
		return err
	}
	m, err := o.read(ctx)
	if err != nil {
		return fail(fmt.Errorf("obs: %s: waiting for Hello: %w", o.URL, err))
	}
	if m.Op != opHello {
		return fail(fmt.Errorf("obs: %s: expected Hello, got op %d", o.URL, m.Op))
	}
	var hello struct {
		RPCVersion     int `json:"rpcVersion"`
		Authentication *struct {
			Challenge string `json:"challenge"`
			Salt      string `json:"salt"`
		} `json:"authentication"`
	}
	if err := json.Unmarshal(m.D, &hello); err != nil {
		return fail(fmt.Errorf("obs: %s: bad Hello: %w", o.URL, err))
	}
	id := map[string]any{"rpcVersion": 1, "eventSubscriptions": 0}
	if a := hello.Authentication; a != nil {
		if o.Password == "" {
			return fail(fmt.Errorf("obs: %s requires a password (actions.obs.password or $DEMOGUARD_OBS_PASSWORD)", o.URL))
		}
		id["authentication"] = OBSAuth(o.Password, a.Salt, a.Challenge)
	}
	if err := o.send(ctx, opIdentify, id); err != nil {
		return fail(err)
	}
	m, err = o.read(ctx)
	if err != nil {
		if websocket.CloseStatus(err) == obsAuthFailed {
			return fail(fmt.Errorf("obs: %s refused the password", o.URL))
		}
		return fail(fmt.Errorf("obs: %s: waiting for Identified: %w", o.URL, err))
	}
	if m.Op != opIdentified {
		return fail(fmt.Errorf("obs: %s: expected Identified, got op %d", o.URL, m.Op))
	}
	return nil
}

func (o *OBS) send(ctx context.Context, op int, d any) error {
	b, err := json.Marshal(map[string]any{"op": op, "d": d})
	if err != nil {
		return fmt.Errorf("obs: encode: %w", err)
	}
	if err := o.conn.Write(ctx, websocket.MessageText, b); err != nil {
		return fmt.Errorf("obs: send: %w", err)
	}
	return nil
}

func (o *OBS) read(ctx context.Context) (obsMsg, error) {
	_, b, err := o.conn.Read(ctx)
	if err != nil {
		return obsMsg{}, err
	}
	var m obsMsg
	if err := json.Unmarshal(b, &m); err != nil {
		return obsMsg{}, fmt.Errorf("bad message: %w", err)
	}
	return m, nil
}

// Close closes the connection, if any.
func (o *OBS) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.conn == nil {
		return nil
	}
	err := o.conn.Close(websocket.StatusNormalClosure, "")
	o.conn = nil
	return err
}
