package node

import (
	"fmt"
	"io"
	"log/slog"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// The seeder driven directly with a fake node: which seeds it dials,
// when it retries, which node it binds to as master, what it keeps
// connected. Timers are fired by hand, node events are fed by hand.

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (t *fakeTimer) Stop() bool { t.stopped = true; return true }

type fakeSeedHost struct {
	id       string
	up       map[string]bool
	master   string
	sent     [][]any
	dials    []string
	resolves [][]string
	connects []string
	masters  []string // bindMaster calls
	global   int      // becomeGlobal calls
	mons     []func(string, bool, []any)
	timers   []*fakeTimer
}

func (f *fakeSeedHost) ID() string { return f.id }
func (f *fakeSeedHost) send(port string, msg ...any) {
	f.sent = append(f.sent, append([]any{port}, msg...))
}
func (f *fakeSeedHost) NodeIsUp(id string) bool { return id == f.id || f.up[id] }
func (f *fakeSeedHost) MonNodes(cb func(string, bool, []any)) *Guard {
	i := len(f.mons)
	f.mons = append(f.mons, cb)
	return newGuard(func() { f.mons[i] = nil })
}
func (f *fakeSeedHost) afterLoop(d time.Duration, fn func()) stopper {
	t := &fakeTimer{d: d, f: fn}
	f.timers = append(f.timers, t)
	return t
}
func (f *fakeSeedHost) dialSeed(seed string)      { f.dials = append(f.dials, seed) }
func (f *fakeSeedHost) resolveSeeds(srv []string) { f.resolves = append(f.resolves, srv) }
func (f *fakeSeedHost) connectNode(id string)     { f.connects = append(f.connects, id) }
func (f *fakeSeedHost) becomeGlobal()             { f.global++ }
func (f *fakeSeedHost) masterID() string          { return f.master }
func (f *fakeSeedHost) bindMaster(id string) {
	f.master = id
	f.masters = append(f.masters, id)
}

// event tells the node monitors that a node went up or down.
func (f *fakeSeedHost) event(id string, up bool) {
	f.up[id] = up
	for _, cb := range slices.Clone(f.mons) {
		if cb != nil {
			cb(id, up, nil)
		}
	}
}

// fire runs the one pending timer (stopped ones do not count).
func (f *fakeSeedHost) fire(t *testing.T) *fakeTimer {
	t.Helper()
	var pending []*fakeTimer
	for _, tm := range f.timers {
		if !tm.stopped {
			pending = append(pending, tm)
		}
	}
	if len(pending) != 1 {
		t.Fatalf("%d timers pending, want 1", len(pending))
	}
	f.timers = nil
	pending[0].f()
	return pending[0]
}

func (f *fakeSeedHost) pending() int {
	k := 0
	for _, tm := range f.timers {
		if !tm.stopped {
			k++
		}
	}
	return k
}

func (f *fakeSeedHost) takeDials() []string {
	d := f.dials
	f.dials = nil
	return d
}

// newTestSeeder subscribes the seeder as startNetwork does.
func newTestSeeder(maxRetry time.Duration) (*seeder, *fakeSeedHost) {
	host := &fakeSeedHost{id: "me", up: map[string]bool{}}
	s := newSeeder(host, slog.New(slog.NewTextHandler(io.Discard, nil)), maxRetry, false)
	host.MonNodes(func(id string, up bool, _ []any) { s.nodeEvent(id, up) })
	host.MonNodes(func(id string, up bool, _ []any) { s.keepaliveEvent(id, up) })
	return s, host
}

func TestSeederBindsFirstSeedUpAndFailsOver(t *testing.T) {
	s, host := newTestSeeder(30 * time.Second)
	s.setSeeds([]string{"b:2", "a:1"})
	s.masterSearch()
	if len(host.masters) != 0 {
		t.Fatalf("bound to %v before any seed was up", host.masters)
	}
	if tm := host.fire(t); tm.d != 0 {
		t.Fatalf("first seeding after %v, want at once", tm.d)
	}
	if got := host.takeDials(); !reflect.DeepEqual(got, []string{"a:1", "b:2"}) {
		t.Fatalf("dialled %v", got)
	}

	s.greeted("a:1", "A")
	s.dialed("a:1", nil)
	host.event("A", true)
	if want := [][]any{{"A#", "g_slave"}}; !reflect.DeepEqual(host.sent, want) {
		t.Fatalf("sent %v, want %v", host.sent, want)
	}
	if !reflect.DeepEqual(host.masters, []string{"A"}) {
		t.Fatalf("masters %v, want [A]", host.masters)
	}

	s.greeted("b:2", "B")
	s.dialed("b:2", nil)
	host.event("B", true) // a second seed does not replace the master
	host.event("A", false)
	if !reflect.DeepEqual(host.masters, []string{"A", "", "B"}) {
		t.Fatalf("masters %v, want [A \"\" B]", host.masters)
	}
	host.event("C", false) // not a seed, not the master: nothing
	if len(host.masters) != 3 {
		t.Fatalf("masters %v after another node went down", host.masters)
	}
}

func TestSeederRetriesWithDoublingDelay(t *testing.T) {
	s, host := newTestSeeder(3 * time.Second)
	s.setSeeds([]string{"a:1"})
	host.fire(t)
	if got := host.takeDials(); !reflect.DeepEqual(got, []string{"a:1"}) {
		t.Fatalf("dialled %v", got)
	}
	var delays []time.Duration
	for i := 0; i < 4; i++ {
		delays = append(delays, host.fire(t).d)
		if i == 0 {
			// the first dial has not ended: no second one
			if got := host.takeDials(); len(got) != 0 {
				t.Fatalf("dialled %v while a dial was under way", got)
			}
			s.dialed("a:1", fmt.Errorf("connection refused"))
		} else if got := host.takeDials(); !reflect.DeepEqual(got, []string{"a:1"}) {
			t.Fatalf("retry %d dialled %v", i, got)
		} else {
			s.dialed("a:1", fmt.Errorf("connection refused"))
		}
	}
	// 1.2-2.4 s, doubled, capped at monitor_timeout (3 s here)
	if delays[0] < 1200*time.Millisecond || delays[0] > 2400*time.Millisecond {
		t.Fatalf("first retry after %v", delays[0])
	}
	for i, d := range delays[1:] {
		if d != min(2*delays[i], 3*time.Second) {
			t.Fatalf("retry delays %v, want each double the last, at most 3s", delays)
		}
	}

	// once the seed's node is up, seeding stops
	s.greeted("a:1", "A")
	host.event("A", true)
	host.fire(t)
	if host.pending() != 0 || len(host.takeDials()) != 0 {
		t.Fatal("still seeding with every seed up")
	}
	// and starts again when it goes down
	host.event("A", false)
	host.fire(t)
	if got := host.takeDials(); !reflect.DeepEqual(got, []string{"a:1"}) {
		t.Fatalf("after the seed went down dialled %v", got)
	}
}

func TestSeederOwnAddressMakesUsGlobal(t *testing.T) {
	s, host := newTestSeeder(30 * time.Second)
	s.setSeeds([]string{"self:1", "a:1"})
	host.fire(t)
	host.takeDials()
	s.dialed("self:1", fmt.Errorf("handshake: %w", protocol.ErrSelf))
	if host.global != 1 {
		t.Fatalf("becomeGlobal called %d times", host.global)
	}
	s.dialed("a:1", fmt.Errorf("connection refused"))
	host.fire(t)
	if got := host.takeDials(); !reflect.DeepEqual(got, []string{"a:1"}) {
		t.Fatalf("dialled %v after finding ourselves", got)
	}
}

func TestSeederResolvesSRVSeeds(t *testing.T) {
	s, host := newTestSeeder(30 * time.Second)
	s.setSeeds([]string{"srv:_aemp._tcp.example.org"})
	host.fire(t)
	host.fire(t) // a retry while the lookup runs does not start another
	if want := [][]string{{"srv:_aemp._tcp.example.org"}}; !reflect.DeepEqual(host.resolves, want) {
		t.Fatalf("resolved %v, want %v", host.resolves, want)
	}
	s.resolved([]string{"c:3"})
	if got := host.takeDials(); !reflect.DeepEqual(got, []string{"c:3"}) {
		t.Fatalf("dialled %v", got)
	}
	s.resolved([]string{"c:3"}) // known already, being dialled
	if got := host.takeDials(); len(got) != 0 {
		t.Fatalf("dialled %v again", got)
	}
}

func TestSeederKeepsGlobalNodesConnected(t *testing.T) {
	s, host := newTestSeeder(30 * time.Second)
	s.keepaliveAdd("me") // never ourselves
	s.keepaliveAdd("G")
	s.keepaliveAdd("G") // counted
	if !reflect.DeepEqual(host.connects, []string{"G"}) {
		t.Fatalf("connected %v", host.connects)
	}
	host.fire(t)
	if !reflect.DeepEqual(host.connects, []string{"G", "G"}) {
		t.Fatalf("retry connected %v", host.connects)
	}
	host.event("G", true)
	host.fire(t) // up: nothing to do, no more timers
	if len(host.connects) != 2 || host.pending() != 0 {
		t.Fatalf("connected %v with G up, %d timers", host.connects, host.pending())
	}
	host.event("G", false)
	if len(host.connects) != 3 {
		t.Fatalf("G went down: connected %v", host.connects)
	}
	s.keepaliveDel("G")
	s.keepaliveDel("G")
	host.fire(t)
	if len(host.connects) != 3 || host.pending() != 0 {
		t.Fatalf("G no longer wanted: connected %v, %d timers", host.connects, host.pending())
	}
}
