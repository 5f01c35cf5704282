package xext_test

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/damage"
	"github.com/jezek/xgb/shm"
	"github.com/jezek/xgb/xfixes"
	"github.com/jezek/xgb/xproto"

	"github.com/demoguard/demoguard/scanner/capture/xtest"
	"github.com/demoguard/demoguard/scanner/internal/xext"
)

// runs numbers the runs of TestInitOncePerProcess in this process.
var runs atomic.Int64

// Connections that come and go while another one receives damage events:
// the full Init runs once, later connections get their opcodes, and the
// race detector (go test -race) sees no write to xgb's shared tables.
func TestInitOncePerProcess(t *testing.T) {
	disp := xtest.StartXvfb(t, "320x200x24")
	first, err := xgb.NewConnDisplay(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	for _, e := range []struct {
		name string
		init func(*xgb.Conn) error
	}{{"XFIXES", xfixes.Init}, {"DAMAGE", damage.Init}, {"MIT-SHM", shm.Init}} {
		if err := xext.Init(first, e.name, e.init); err != nil {
			t.Fatalf("%s: %v", e.name, err)
		}
	}
	// Damage events keep first's reader goroutine busy reading the tables.
	xfixes.QueryVersion(first, 5, 0).Reply()
	damage.QueryVersion(first, 1, 1).Reply()
	id, _ := damage.NewDamageId(first)
	root := xproto.Setup(first).DefaultScreen(first).Root
	if err := damage.CreateChecked(first, id, xproto.Drawable(root), damage.ReportLevelRawRectangles).Check(); err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			xproto.ClearArea(first, true, root, 0, 0, 10, 10)
			first.WaitForEvent()
		}
	}()
	defer func() { close(stop); xproto.ClearArea(first, true, root, 0, 0, 1, 1); wg.Wait() }()

	calls := 0
	countingInit := func(c *xgb.Conn) error { calls++; return shm.Init(c) }
	for i := range 5 {
		c, err := xgb.NewConnDisplay(disp)
		if err != nil {
			t.Fatal(err)
		}
		if err := xext.Init(c, "MIT-SHM", countingInit); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.ExtLock.RLock()
		_, ok := c.Extensions["MIT-SHM"]
		c.ExtLock.RUnlock()
		if !ok {
			t.Fatalf("connection %d: no MIT-SHM opcode recorded", i)
		}
		// A request of the extension works on the new connection.
		if _, err := shm.QueryVersion(c).Reply(); err != nil {
			t.Fatalf("connection %d: %v", i, err)
		}
		c.Close()
	}
	if calls != 0 {
		t.Fatalf("full Init ran %d times after the first", calls)
	}
	c, err := xgb.NewConnDisplay(disp)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// xext's record is per process and outlives this test (go test
	// -count=5 runs it again): a name of its own each run, so the first
	// call is the first for that name.
	missing := fmt.Sprintf("NO-SUCH-EXTENSION-%d", runs.Add(1))
	if err := xext.Init(c, missing, func(*xgb.Conn) error { return nil }); err != nil {
		t.Fatal(err) // first time: whatever init says
	}
	if err := xext.Init(c, missing, nil); err == nil {
		t.Fatal("an extension the server lacks was accepted")
	}
}
