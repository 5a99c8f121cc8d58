package node

import (
	"context"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"
)

// catcher connects a port on a to b's log catcher service at level and
// returns the records it receives.
func catcher(t *testing.T, a *Node, b string, level int) <-chan []any {
	ch := make(chan []any, 100)
	p := a.NewPort(func(_ *Port, args []any) { ch <- args })
	a.Snd(b+"#", LogCatcherFunc, int64(0), p.ID(), int64(level))
	return ch
}

// waitRecord returns the first record whose message contains substr.
func waitRecord(t *testing.T, ch <-chan []any, substr string) []any {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case r := <-ch:
			if len(r) == 4 && strings.Contains(r[3].(string), substr) {
				return r
			}
		case <-timeout:
			t.Fatalf("no log record containing %q", substr)
		}
	}
}

// TestLogCatcherReceivesRecords: a catcher gets the node's slog records
// as LogCatcher.pm sends them, [time, title, level, message], even when
// the node's own handler logs nothing at that level.
func TestLogCatcherReceivesRecords(t *testing.T) {
	a := newTestNode(t, "a", true)
	b := testNode(t, Config{NodeID: "b", Binds: []string{"127.0.0.1:0"},
		Logger: slog.New(slog.NewTextHandler(discard{}, &slog.HandlerOptions{Level: slog.LevelError}))})
	a.AddAddress("b", b.Binds()...)
	all, warnOnly := catcher(t, a, "b", 9), catcher(t, a, "b", 5)
	// b logs its own debug record about the catcher (Perl: AE::log 8)
	r := waitRecord(t, all, "starting to propagate log messages to a#")
	if r[1] != LogTitle || r[2] != int64(AELevelDebug) {
		t.Fatalf("record %#v", r)
	}
	if ts, ok := r[0].(float64); !ok || time.Since(time.UnixMicro(int64(ts*1e6))) > time.Minute {
		t.Fatalf("time %#v", r[0])
	}
	// both catchers must be attached before the record is logged (their
	// connect requests may arrive in either order)
	lc := b.log.Handler().(*catchHandler).lc
	eventually(t, "both catchers attached", func() bool {
		lc.mu.Lock()
		defer lc.mu.Unlock()
		return len(lc.catchers) == 2
	})
	b.log.Warn("disk almost full", "free", "3 MB", "path", "/var")
	r = waitRecord(t, warnOnly, "disk almost full")
	if want := []any{LogTitle, int64(AELevelWarn), `disk almost full free="3 MB" path=/var`}; !reflect.DeepEqual(r[1:], want) {
		t.Fatalf("record %#v, want %#v", r[1:], want)
	}
	// the level-5 catcher never saw the debug record
	for len(warnOnly) > 0 {
		if r := <-warnOnly; r[2] != int64(AELevelWarn) {
			t.Fatalf("warn-level catcher got %#v", r)
		}
	}
}

// TestLogCatcherStopsWhenPortDies: Perl monitors the reply port and
// detaches the catcher when it dies.
func TestLogCatcherStopsWhenPortDies(t *testing.T) {
	a, b := pair(t)
	ch := make(chan []any, 100)
	p := a.NewPort(func(_ *Port, args []any) { ch <- args })
	a.Snd("b#", LogCatcherFunc, int64(0), p.ID(), int64(9))
	waitRecord(t, ch, "starting to propagate")
	lc := b.log.Handler().(*catchHandler).lc
	p.Kil()
	eventually(t, "catcher detached", func() bool { return !lc.wants(AELevelError) })
}

// TestLogCatcherQueueBound: past LogCatcherQueue records are dropped,
// counted, and the catchers told.
func TestLogCatcherQueueBound(t *testing.T) {
	a := newTestNode(t, "a", true)
	b := testNode(t, Config{NodeID: "b", LogCatcherQueue: 2})
	lc := b.log.Handler().(*catchHandler).lc
	ch := make(chan []any, 10)
	p := a.NewPort(func(_ *Port, args []any) { ch <- args })
	b.AddAddress("a", a.Binds()...)
	// register the catcher by hand, so the sender does not run yet
	lc.mu.Lock()
	lc.catchers[p.ID()] = 9
	lc.updateLocked()
	lc.mu.Unlock()
	for _, m := range []string{"one", "two", "three", "four", "five"} {
		b.log.Error(m)
	}
	if d := lc.dropped.Load(); d != 3 {
		t.Fatalf("dropped %d, want 3", d)
	}
	lc.start.Do(func() { b.wg.Add(1); go lc.run() })
	r := waitRecord(t, ch, "3 log records dropped")
	if r[2] != int64(AELevelWarn) {
		t.Fatalf("drop notice %#v", r)
	}
	waitRecord(t, ch, "one")
	waitRecord(t, ch, "two")
}

func TestAELevel(t *testing.T) {
	for l, want := range map[slog.Level]int{slog.LevelError + 4: 4, slog.LevelError: 4, slog.LevelWarn: 5,
		slog.LevelInfo: 7, slog.LevelInfo + 2: 7, slog.LevelDebug: 8, slog.LevelDebug - 4: 9} {
		if got := AELevel(l); got != want {
			t.Errorf("AELevel(%v) = %d, want %d", l, got, want)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// TestGlobalByConfig: Config.Global makes a node global without seeds,
// as the AnyEvent::MP::Global:: service does: it answers can g_find with
// "1" and serves a slave's database.
func TestGlobalByConfig(t *testing.T) {
	addr := freeAddr(t)
	g := testNode(t, Config{NodeID: "g", Binds: []string{addr}, Global: true})
	s := startNode(t, "s", nil, []string{addr})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if r, err := s.Cal(ctx, "g#", "can", "g_find"); err != nil || !reflect.DeepEqual(r, []any{"1"}) {
		t.Fatalf("can g_find: %#v %v", r, err)
	}
	if _, err := s.DBSet("svc", "s#1", nil); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the slave's key on the global node", func() bool {
		keys, err := g.DBKeys(ctx, "svc")
		return err == nil && reflect.DeepEqual(keys, []string{"s#1"})
	})
	if m := s.masterID(); m != "g" {
		t.Fatalf("master %q", m)
	}
}

// TestCatchLogsCollectsFromTheMesh: CatchLogs finds the nodes through
// the global database and receives their records, and asks a node again
// after its connection was lost.
func TestCatchLogsCollectsFromTheMesh(t *testing.T) {
	addr := freeAddr(t)
	seed := startNode(t, "seed", []string{addr}, []string{addr})
	b := startNode(t, "b", []string{"127.0.0.1:0"}, []string{addr})
	c := startNode(t, "c", nil, []string{addr})
	type rec struct {
		node string
		r    LogRecord
	}
	got := make(chan rec, 1000)
	g := c.CatchLogs(AELevelWarn, func(node string, r LogRecord) { got <- rec{node, r} })
	defer g.Stop()
	wait := func(node, msg string) {
		t.Helper()
		timeout := time.After(10 * time.Second)
		for {
			select {
			case x := <-got:
				if x.node == "c" {
					t.Fatalf("own record %v", x)
				}
				if x.r.Level > AELevelWarn {
					t.Fatalf("level %d record at catch level 5: %v", x.r.Level, x)
				}
				if x.node == node && strings.Contains(x.r.Message, msg) {
					return
				}
			case <-timeout:
				t.Fatalf("no record %q from %s", msg, node)
			}
		}
	}
	eventually(t, "both nodes asked", func() bool {
		b.log.Warn("hello from b")
		seed.log.Warn("hello from seed")
		select {
		case x := <-got:
			got <- x
			return true
		case <-time.After(50 * time.Millisecond):
			return false
		}
	})
	b.log.Warn("hello from b")
	wait("b", "hello from b")
	seed.log.Error("hello from seed")
	wait("seed", "hello from seed")
	c.log.Error("not sent: own record")
}
