package hub

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/demoguard/demoguard/scanner/event"
	"github.com/demoguard/demoguard/scanner/internal/backoff"
	"github.com/demoguard/demoguard/scanner/internal/queue"
)

// Client is the agent's side: a event.Sink that pushes events to the hub
// with a heartbeat. Emit never blocks: events wait in a bounded queue
// (oldest dropped and counted when full) while the hub is unreachable and
// go out, in order, when it is back.
type Client struct {
	URL      string // the hub's base URL
	Room     string
	Token    string // the hub's agent token (--agent-token)
	ShowText bool   // send the matched text unmasked (--show-text)
	// Heartbeat is the report interval when nothing happens; default 2s.
	Heartbeat time.Duration
	// QueueSize bounds the events kept while the hub is unreachable;
	// default 1000.
	QueueSize int
	// HTTP is the client used; default one with a 5 s timeout.
	HTTP *http.Client
	// Warn receives a line when the hub becomes unreachable or reachable
	// again, or refuses the token (once per change, not per attempt).
	Warn func(string)
	// Now is the clock (tests); default time.Now.
	Now func() time.Time
	// CloseWait bounds Close's delivery of what is queued; default 3s.
	CloseWait time.Duration

	once   sync.Once
	q      *queue.Queue[event.Event]
	agent  string
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}

	mu   sync.Mutex
	open map[string]event.Event
	down bool // the last attempt failed
}

// Dial checks the hub's URL and makes a client; it starts on first use.
func Dial(hubURL, room, token string) (*Client, error) {
	u, err := url.Parse(hubURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--hub %q: want the hub's http(s) URL", hubURL)
	}
	if strings.TrimSpace(room) == "" {
		return nil, errors.New("--hub needs --room NAME (the tile's name on the hub)")
	}
	return &Client{URL: hubURL, Room: room, Token: token}, nil
}

func (c *Client) start() {
	c.once.Do(func() {
		if c.Heartbeat <= 0 {
			c.Heartbeat = 2 * time.Second
		}
		if c.QueueSize <= 0 {
			c.QueueSize = 1000
		}
		if c.HTTP == nil {
			c.HTTP = &http.Client{Timeout: 5 * time.Second}
		}
		if c.Now == nil {
			c.Now = time.Now
		}
		if c.CloseWait <= 0 {
			c.CloseWait = 3 * time.Second
		}
		b := make([]byte, 8)
		rand.Read(b)
		c.agent = hex.EncodeToString(b)
		c.q = queue.New[event.Event](c.QueueSize)
		c.open = map[string]event.Event{}
		c.done = make(chan struct{})
		c.ctx, c.cancel = context.WithCancel(context.Background())
		go c.loop()
	})
}

// Start begins the heartbeat before the first event (the hub shows the
// room as soon as the agent runs).
func (c *Client) Start() { c.start() }

// Emit queues an event for the hub.
func (c *Client) Emit(e event.Event) {
	c.start()
	e = e.WithText(c.ShowText)
	c.mu.Lock()
	switch e.Event {
	case event.Alert:
		c.open[e.Incident] = e
	case event.Clear:
		delete(c.open, e.Incident)
	}
	c.mu.Unlock()
	c.q.Push(e)
}

// Dropped is how many events were dropped because the queue was full.
func (c *Client) Dropped() int64 {
	c.start()
	return c.q.Dropped()
}

// Queued is how many events wait for the hub.
func (c *Client) Queued() int {
	c.start()
	return c.q.Len()
}

func (c *Client) snapshot() []event.Event {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]event.Event, 0, len(c.open))
	for _, e := range c.open {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Incident < out[j].Incident })
	return out
}

// maxBatch bounds the events in one report.
const maxBatch = 200

func (c *Client) loop() {
	defer close(c.done)
	bo := backoff.Backoff{Min: 250 * time.Millisecond, Max: 5 * time.Second}
	for {
		err := c.flush(c.ctx, false)
		if c.ctx.Err() != nil {
			return
		}
		var wait <-chan time.Time
		var wake <-chan struct{}
		switch {
		case err != nil:
			wait = time.After(bo.Next())
		case c.q.Len() > 0:
			continue // more than one batch queued
		default:
			bo.Reset()
			wait, wake = time.After(c.Heartbeat), c.q.Wake()
		}
		select {
		case <-c.ctx.Done():
			return
		case <-wait:
		case <-wake:
		}
	}
}

// flush sends one report: the oldest queued events (removed once the hub
// has them) and the open incidents.
func (c *Client) flush(ctx context.Context, bye bool) error {
	batch, mark := c.q.Peek(maxBatch)
	rep := Report{
		Room: c.Room, Agent: c.agent, Sent: c.Now(), HeartbeatMS: c.Heartbeat.Milliseconds(),
		Events: batch, Open: c.snapshot(), Dropped: c.q.Dropped(), Bye: bye,
	}
	err := c.post(ctx, rep)
	c.mu.Lock()
	was := c.down
	c.down = err != nil
	c.mu.Unlock()
	switch {
	case err != nil && !was:
		c.warn(fmt.Sprintf("hub: %v; queueing events (at most %d) until it is back", err, c.QueueSize))
	case err == nil && was:
		c.warn(fmt.Sprintf("hub: reachable again (%d events dropped so far)", c.q.Dropped()))
	}
	if err != nil {
		return err
	}
	c.q.Ack(mark)
	return nil
}

func (c *Client) post(ctx context.Context, rep Report) error {
	body, err := json.Marshal(rep)
	if err != nil {
		return fmt.Errorf("encode report: %w", err)
	}
	u := strings.TrimSuffix(c.URL, "/") + "/api/report"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("report to %s: %w", u, err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "demoguard")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("report to %s: %w", u, err)
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode/100 != 2 {
		if resp.StatusCode == http.StatusUnauthorized {
			return fmt.Errorf("report to %s: %s: the hub refuses the agent token (--agent-token)", u, resp.Status)
		}
		return fmt.Errorf("report to %s: %s: %s", u, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

func (c *Client) warn(msg string) {
	if c.Warn != nil {
		c.Warn(msg)
	}
}

// Close stops the heartbeat and delivers what is queued, waiting at most
// CloseWait (3 s; an unreachable hub must not hold up shutdown), with a
// last report that tells the hub the agent stopped. Events it could not deliver are
// reported through Warn, not as an error: the agent itself did its work
// (and --log holds every event), so shutdown stays clean, as for the
// webhook sink.
func (c *Client) Close() error {
	c.start()
	c.cancel()
	<-c.done
	ctx, cancel := context.WithTimeout(context.Background(), c.CloseWait)
	defer cancel()
	for {
		err := c.flush(ctx, c.q.Len() <= maxBatch)
		if err != nil {
			if n := c.q.Len(); n > 0 {
				c.warn(fmt.Sprintf("hub: %d events undelivered at shutdown: %v", n, err))
			}
			return nil // the hub will see the room go offline
		}
		if c.q.Len() == 0 {
			return nil
		}
	}
}
