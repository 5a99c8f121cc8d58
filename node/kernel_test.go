package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

const testSecret = "test-secret"

// testNode starts a node with the test secret on the test's transport
// (testTransport) unless cfg names one; it is closed at cleanup.
func testNode(tb testing.TB, cfg Config) *Node {
	tb.Helper()
	cfg.Secret = testSecret
	if cfg.Transport == nil {
		cfg.Transport = testTransport(tb)
	}
	if os.Getenv("AEMP_TEST_TRACE") != "" && cfg.Trace == nil { // debug a test: trace and debug logs per node
		cfg.Trace = prefixWriter(cfg.NodeID)
		cfg.Logger = slog.New(slog.NewTextHandler(prefixWriter(cfg.NodeID), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	n, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if err := n.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { n.Close() })
	return n
}

func newTestNode(t testing.TB, id string, listen bool) *Node {
	cfg := Config{NodeID: id}
	if listen {
		cfg.Binds = []string{"127.0.0.1:0"}
	}
	return testNode(t, cfg)
}

// pair returns two nodes that know each other's address.
func pair(t testing.TB) (a, b *Node) {
	a, b = newTestNode(t, "a", true), newTestNode(t, "b", true)
	a.AddAddress("b", b.Binds()...)
	b.AddAddress("a", a.Binds()...)
	return a, b
}

// recv waits for one value on ch.
func recv[T any](t testing.TB, ch <-chan T) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(5 * time.Second):
		t.Fatal("timed out waiting")
		panic("unreachable")
	}
}

// flushLoop returns once everything posted to n's dispatch loop before
// the call has run: it waits for a message through the loop.
func flushLoop(t testing.TB, n *Node) {
	t.Helper()
	done := make(chan []any, 1)
	p := n.NewPort(func(_ *Port, m []any) { done <- m })
	n.Snd(p.ID(), "flush")
	recv(t, done)
	p.Kil()
}

func TestTutorialFirstMessage(t *testing.T) {
	// The tutorial's first example: a port that prints "Ending with: 123"
	// for a "finish" message, then kills itself.
	n := newTestNode(t, "tut", false)
	out := make(chan string, 1)
	p := n.NewPort(nil)
	p.Rcv("test", func(self *Port, args []any) {}).
		Rcv("finish", func(self *Port, args []any) {
			out <- fmt.Sprint("Ending with: ", args[0])
			self.Kil()
		})
	n.Snd(p.ID(), "test", 1, 2, 3)
	n.Snd(p.ID(), "finish", int64(123))
	if got := recv(t, out); got != "Ending with: 123" {
		t.Fatal(got)
	}
}

func TestPanicKillsPortWithDie(t *testing.T) {
	n := newTestNode(t, "x", false)
	p := n.NewPort(func(self *Port, args []any) { panic("oops\n") })
	reason := make(chan []any, 1)
	n.MonFunc(p.ID(), func(r []any) { reason <- r })
	n.Snd(p.ID(), "anything")
	if got := recv(t, reason); !reflect.DeepEqual(got, []any{"die", "oops"}) {
		t.Fatalf("reason %v", got)
	}
	if p.Alive() {
		t.Fatal("port still alive")
	}
}

func TestUnhandledMessageKillsPort(t *testing.T) {
	n := newTestNode(t, "x", false)
	p := n.NewPort(nil)
	p.Rcv("known", func(*Port, []any) {})
	reason := make(chan []any, 1)
	n.MonFunc(p.ID(), func(r []any) { reason <- r })
	n.Snd(p.ID(), "unknown\x01tag")
	want := []any{"unhandled_message", "no callback found for message 'unknown.tag'"}
	if got := recv(t, reason); !reflect.DeepEqual(got, want) {
		t.Fatalf("reason %v", got)
	}
}

func TestMonitorAfterDeathIsNoSuchPort(t *testing.T) {
	n := newTestNode(t, "x", false)
	p := n.NewPort(nil)
	died := make(chan []any, 1)
	n.MonFunc(p.ID(), func(r []any) { died <- r })
	n.Kil(p.ID())
	recv(t, died) // the port is gone
	reason := make(chan []any, 1)
	n.MonFunc(p.ID(), func(r []any) { reason <- r })
	want := []any{"no_such_port", "cannot monitor nonexistent port", p.ID()}
	if got := recv(t, reason); !reflect.DeepEqual(got, want) {
		t.Fatalf("reason %v", got)
	}
}

func TestKilCustomReasonAndLinkedPorts(t *testing.T) {
	n := newTestNode(t, "x", false)
	// normal kil: the linked port survives
	a, b := n.NewPort(nil), n.NewPort(nil)
	n.MonKill(a.ID(), b.ID())
	bDied := make(chan []any, 1)
	n.MonFunc(b.ID(), func(r []any) { bDied <- r })
	aDied := make(chan []any, 1)
	n.MonFunc(a.ID(), func(r []any) { aDied <- r }) // runs after MonKill's monitor
	a.Kil()
	recv(t, aDied)
	flushLoop(t, n) // a kill of b would have been queued before
	if !b.Alive() {
		t.Fatal("normal kil killed the linked port")
	}
	// abnormal kil: the linked port dies with the same reason
	c := n.NewPort(nil)
	n.MonKill(c.ID(), b.ID())
	c.Kil("custom_error", "it failed")
	if got := recv(t, bDied); !reflect.DeepEqual(got, []any{"custom_error", "it failed"}) {
		t.Fatalf("linked port died with %v", got)
	}
	// MonSend: port, @msg, @reason
	d, sink := n.NewPort(nil), make(chan []any, 1)
	rp := n.NewPort(func(_ *Port, args []any) { sink <- args })
	n.MonSend(d.ID(), rp.ID(), "restart", "d")
	d.Kil("bad")
	if got := recv(t, sink); !reflect.DeepEqual(got, []any{"restart", "d", "bad"}) {
		t.Fatalf("MonSend delivered %v", got)
	}
}

func TestMonitorGuardStops(t *testing.T) {
	n := newTestNode(t, "x", false)
	p := n.NewPort(nil)
	fired := make(chan []any, 1)
	g, _ := n.MonFunc(p.ID(), func(r []any) { fired <- r })
	g.Stop()
	p.Kil("x")
	flushLoop(t, n)
	select {
	case <-fired:
		t.Fatal("stopped monitor fired")
	default:
	}
}

func TestRemoteSndMonKil(t *testing.T) {
	a, b := pair(t)
	got := make(chan []any, 10)
	bp := b.NewPort(func(_ *Port, args []any) { got <- args })
	reason := make(chan []any, 1)
	if _, err := a.MonFunc(bp.ID(), func(r []any) { reason <- r }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		a.Snd(bp.ID(), "hello", int64(i))
	}
	for i := 0; i < 3; i++ {
		if m := recv(t, got); !reflect.DeepEqual(m, []any{"hello", int64(i)}) {
			t.Fatalf("message %d: %v", i, m)
		}
	}
	a.Kil(bp.ID(), "custom_reason", "bye") // remote kil: kil1 -> kil0
	if r := recv(t, reason); !reflect.DeepEqual(r, []any{"custom_reason", "bye"}) {
		t.Fatalf("reason %v", r)
	}
	// monitoring a port that does not exist on the remote node
	a.MonFunc("b#nosuchport", func(r []any) { reason <- r })
	if r := recv(t, reason); !reflect.DeepEqual(r, []any{"no_such_port", "cannot monitor nonexistent port", "b#nosuchport"}) {
		t.Fatalf("reason %v", r)
	}
}

func TestSpawnAndCal(t *testing.T) {
	a, b := pair(t)
	b.Register("Test::Echo::init", func(self *Port, args []any) {
		prefix := args[0]
		self.Default(func(self *Port, args []any) {
			reply, _ := args[len(args)-1].(string)
			self.Node().Snd(reply, append([]any{prefix}, args[:len(args)-1]...)...)
		})
	})
	port, err := a.Spawn("b", "Test::Echo::init", "echo:")
	if err != nil || !strings.HasPrefix(port, "b#"+a.runiq) {
		t.Fatalf("spawned %q, %v", port, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := a.Cal(ctx, port, "x", int64(1))
	if err != nil || !reflect.DeepEqual(reply, []any{"echo:", "x", int64(1)}) {
		t.Fatalf("cal: %v %v", reply, err)
	}
	// without a deadline the target is monitored: killing it ends the call
	b.Register("Test::Silent::init", func(self *Port, args []any) {
		self.Default(func(self *Port, args []any) { self.Kil("silent", "refused") })
	})
	silent, _ := a.Spawn("b", "Test::Silent::init")
	_, err = a.Cal(context.Background(), silent, "hi")
	if pd, ok := err.(*PortDiedError); !ok || !reflect.DeepEqual(pd.Reason, []any{"silent", "refused"}) {
		t.Fatalf("want PortDiedError, got %v", err)
	}
	// with a deadline and no reply: timeout
	b.Register("Test::Mute::init", func(self *Port, args []any) { self.Default(func(*Port, []any) {}) })
	mute, _ := a.Spawn("b", "Test::Mute::init")
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if _, err := a.Cal(ctx2, mute, "hi"); !errors.Is(err, ErrTimeout) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("cal to a mute port: %v", err)
	}
	// an unregistered init function creates no port
	ghost, _ := a.Spawn("b", "No::Such::init")
	if _, err := a.Cal(context.Background(), ghost, "hi"); err == nil {
		t.Fatal("cal to an unregistered spawn succeeded")
	}
}

func TestNodePortRequests(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := a.Cal(ctx, "b#", "time")
	if err != nil || len(r) != 1 {
		t.Fatalf("time: %v %v", r, err)
	}
	if f, ok := r[0].(float64); !ok || time.Since(time.Unix(int64(f), 0)) > time.Minute {
		t.Fatalf("time answered %#v", r[0])
	}
	for tag, want := range map[string]string{"time": "1", "mon1": "1", "g_find": "", "nosuchreq": ""} {
		r, err := a.Cal(ctx, "b#", "can", tag)
		if err != nil || !reflect.DeepEqual(r, []any{want}) {
			t.Fatalf("can %s: %v %v", tag, r, err)
		}
	}
	// relay via snd: a asks b to send to a's port
	got := make(chan []any, 1)
	ap := a.NewPort(func(_ *Port, args []any) { got <- args })
	a.Snd("b#", "snd", ap.ID(), "relayed", "via b")
	if m := recv(t, got); !reflect.DeepEqual(m, []any{"relayed", "via b"}) {
		t.Fatalf("relay %v", m)
	}
	// unknown requests and eval are logged, never fatal; b still answers
	a.Snd("b#", "no::such::function", 1)
	a.Snd("b#", "eval", "1+1", ap.ID())
	a.Snd("b#", "devnull", "x")
	a.Snd("b#")
	if _, err := a.Cal(ctx, "b#", "time"); err != nil {
		t.Fatal(err)
	}
	_ = b
}

// reasonOfConnectionLoss connects node a to node b, monitors a port of b
// from a, closes b and returns the reason a's monitor fired with.
func reasonOfConnectionLoss(t *testing.T) []any {
	t.Helper()
	a, b := pair(t)
	bp := b.NewPort(func(*Port, []any) {})
	reason := make(chan []any, 1)
	a.MonFunc(bp.ID(), func(r []any) { reason <- r })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Cal(ctx, "b#", "time"); err != nil { // connection is up
		t.Fatal(err)
	}
	b.Close()
	return recv(t, reason)
}

func TestMonitorFiresOnConnectionLoss(t *testing.T) {
	r := reasonOfConnectionLoss(t)
	if len(r) != 3 || r[0] != "transport_error" || r[1] != "b" {
		t.Fatalf("reason %v", r)
	}
}

// TestNoHolesAfterConnectionLoss checks MP.pm's guarantee: once the
// monitor of a remote port fired, no message sent after the loss was
// delivered before it, and messages sent later arrive again.
func TestNoHolesAfterConnectionLoss(t *testing.T) {
	a, b := pair(t)
	events := make(chan string, 100)
	bp := b.NewPort(func(_ *Port, args []any) { events <- fmt.Sprint("msg ", args[0]) })
	a.MonFunc(bp.ID(), func(r []any) { events <- "monitor" })
	a.Snd(bp.ID(), "before")
	if e := recv(t, events); e != "msg before" {
		t.Fatal(e)
	}
	// break the connection from b's side, then keep sending from a
	b.mu.Lock()
	rb := b.remotes["a"]
	b.mu.Unlock()
	rb.mu.Lock()
	c := rb.tr
	rb.mu.Unlock()
	c.fail(fmt.Errorf("test: cut"))
	// keep sending across the loss until the first event after "before"
	// arrives: whatever was delivered, the monitor came first
	deadline := time.Now().Add(5 * time.Second)
	for i := 0; ; i++ {
		a.Snd(bp.ID(), i)
		select {
		case e := <-events:
			if e != "monitor" {
				t.Fatalf("%q delivered before the monitor fired", e)
			}
			return
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("monitor never fired")
		}
	}
}

func TestSimultaneousConnectsBothWork(t *testing.T) {
	a, b := pair(t)
	ga, gb := make(chan []any, 1), make(chan []any, 1)
	ap := a.NewPort(func(_ *Port, m []any) { ga <- m })
	bp := b.NewPort(func(_ *Port, m []any) { gb <- m })
	a.Snd(bp.ID(), "from a")
	b.Snd(ap.ID(), "from b")
	recv(t, ga)
	recv(t, gb)
}

func TestTraceLines(t *testing.T) {
	var sb strings.Builder
	n, _ := New(Config{NodeID: "tr", Trace: &syncWriter{b: &sb}})
	defer n.Close()
	done := make(chan struct{})
	p := n.NewPort(func(*Port, []any) { close(done) })
	n.Snd(p.ID(), "hi", int64(1))
	recv(t, done)
	n.Close()
	if !strings.Contains(sb.String(), `SND tr <- ["`+p.name+`","hi",1]`) {
		t.Fatalf("trace: %q", sb.String())
	}
}

type syncWriter struct{ b *strings.Builder }

func (w *syncWriter) Write(p []byte) (int, error) { return w.b.Write(p) }
