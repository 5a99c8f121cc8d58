package node

import (
	"context"
	"fmt"
	"os"
	"reflect"
	"sort"
	"sync"
	"testing"
	"time"
)

// freeAddr returns a loopback address with a port that was free a moment
// ago on the test's transport.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := testTransport(t).Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func startNode(t testing.TB, id string, binds, seeds []string) *Node {
	t.Helper()
	return testNode(t, Config{NodeID: id, Binds: binds, Seeds: seeds})
}

// eventually polls cond for up to 5 seconds.
func eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// familyWatch keeps the latest view of a db_mon'ed family.
type familyWatch struct{ ch chan []string }

func watch(n *Node, family string) *familyWatch {
	w := &familyWatch{ch: make(chan []string, 100)}
	n.DBMon(family, func(db map[string]any, a, c, d []string) { w.ch <- sortedKeys(db) })
	return w
}

// wait returns once the view equals want.
func (w *familyWatch) wait(t testing.TB, want ...string) {
	t.Helper()
	sort.Strings(want)
	if want == nil {
		want = []string{}
	}
	timeout := time.After(5 * time.Second)
	var last []string
	for {
		select {
		case keys := <-w.ch:
			if keys == nil {
				keys = []string{}
			}
			last = keys
			if reflect.DeepEqual(keys, want) {
				return
			}
		case <-timeout:
			t.Fatalf("family view is %v, want %v", last, want)
		}
	}
}

func TestSeedBecomesGlobalAndServesDatabase(t *testing.T) {
	addr := freeAddr(t)
	seed := startNode(t, "seed", []string{addr}, []string{addr})
	eventually(t, "seed to become global", seed.isGlobal)

	a := startNode(t, "a", []string{"127.0.0.1:0"}, []string{addr})
	b := startNode(t, "b", []string{"127.0.0.1:0"}, []string{addr})
	eventually(t, "masters", func() bool { return a.masterID() == "seed" && b.masterID() == "seed" })

	wb := watch(b, "eg_receivers")
	wb.wait(t) // first call with the empty family

	p := a.NewPort(func(*Port, []any) {})
	if _, err := a.DBReg("eg_receivers", p.ID(), "a-value"); err != nil {
		t.Fatal(err)
	}
	wb.wait(t, p.ID())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	fam, err := b.DBFamily(ctx, "eg_receivers")
	if err != nil || !reflect.DeepEqual(fam, map[string]any{p.ID(): "a-value"}) {
		t.Fatalf("DBFamily = %v, %v", fam, err)
	}
	keys, _ := b.DBKeys(ctx, "eg_receivers")
	vals, _ := b.DBValues(ctx, "eg_receivers")
	if !reflect.DeepEqual(keys, []string{p.ID()}) || !reflect.DeepEqual(vals, []any{"a-value"}) {
		t.Fatalf("keys %v values %v", keys, vals)
	}
	// the listeners family knows everybody
	l, _ := b.DBFamily(ctx, "'l")
	if _, ok := l["a"]; !ok {
		t.Fatalf("'l = %v", l)
	}

	// b finds a through the seed (g_find) and messages it
	got := make(chan []any, 1)
	q := a.NewPort(func(_ *Port, m []any) { got <- m })
	b.Snd(q.ID(), "found you")
	if m := recv(t, got); !reflect.DeepEqual(m, []any{"found you"}) {
		t.Fatal(m)
	}

	// killing the port removes the registration
	p.Kil()
	wb.wait(t)

	// a node going away removes its entries
	p2 := a.NewPort(func(*Port, []any) {})
	a.DBReg("eg_receivers", p2.ID(), nil)
	wb.wait(t, p2.ID())
	a.Close()
	wb.wait(t)
}

func TestTwoSeedsMeshAndFailover(t *testing.T) {
	addr1, addr2 := freeAddr(t), freeAddr(t)
	seeds := []string{addr1, addr2}
	s1 := startNode(t, "seed1", []string{addr1}, seeds)
	s2 := startNode(t, "seed2", []string{addr2}, seeds)
	eventually(t, "both global", func() bool { return s1.isGlobal() && s2.isGlobal() })

	a := startNode(t, "a", []string{"127.0.0.1:0"}, []string{addr1})
	b := startNode(t, "b", []string{"127.0.0.1:0"}, []string{addr2})
	eventually(t, "masters", func() bool { return a.masterID() == "seed1" && b.masterID() == "seed2" })

	wb := watch(b, "grp")
	wa := watch(a, "grp")
	pa := a.NewPort(func(*Port, []any) {})
	pb := b.NewPort(func(*Port, []any) {})
	a.DBReg("grp", pa.ID(), nil)
	b.DBReg("grp", pb.ID(), nil)
	wb.wait(t, pa.ID(), pb.ID())
	wa.wait(t, pa.ID(), pb.ID())

	// a node bound to both seeds fails over and keeps its registration
	c := startNode(t, "c", []string{"127.0.0.1:0"}, seeds)
	eventually(t, "c has a master", func() bool { return c.masterID() != "" })
	pc := c.NewPort(func(*Port, []any) {})
	c.DBReg("grp", pc.ID(), nil)
	wb.wait(t, pa.ID(), pb.ID(), pc.ID())
	master := c.masterID()
	survivor, other, wsurv := b, s1, wb
	if master == "seed2" {
		survivor, other, wsurv = a, s2, wa
	}
	_ = survivor
	other.Close()
	eventually(t, "c to fail over", func() bool { m := c.masterID(); return m != "" && m != master })
	// c's entry is back (re-sent with g_slave to the new master); the
	// slave of the dead seed is gone from the survivor's view
	if master == "seed1" {
		wsurv.wait(t, pb.ID(), pc.ID())
	} else {
		wsurv.wait(t, pa.ID(), pc.ID())
	}
}

// prefixWriter writes to stderr with the node ID in front of each write.
type prefixWriter string

var traceMu sync.Mutex

func (p prefixWriter) Write(b []byte) (int, error) {
	traceMu.Lock()
	defer traceMu.Unlock()
	fmt.Fprintf(os.Stderr, "%s: %s", string(p), b)
	return len(b), nil
}

// A global node asking its own global service for a family gets a copy:
// the answer is delivered locally, without encoding, and the family map
// is the service's own, which the dispatch goroutine goes on changing.
// Writing to the copy changes nothing in the database (and reading it
// races with nothing, which -race checks).
func TestDBFamilyOnTheMasterItselfIsACopy(t *testing.T) {
	addr := freeAddr(t)
	seed := startNode(t, "seed", []string{addr}, []string{addr})
	eventually(t, "seed to become global", seed.isGlobal)
	eventually(t, "seed to be its own master", func() bool { return seed.masterID() == "seed" })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	w := watch(seed, "fam")
	w.wait(t)
	if _, err := seed.DBSet("fam", "k", int64(1)); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "k")
	fam, err := seed.DBFamily(ctx, "fam")
	if err != nil || !reflect.DeepEqual(fam, map[string]any{"k": int64(1)}) {
		t.Fatalf("DBFamily = %v, %v", fam, err)
	}
	fam["k"], fam["x"] = int64(99), int64(2) // the caller's map to change
	if _, err := seed.DBSet("fam", "k2", int64(3)); err != nil {
		t.Fatal(err)
	}
	w.wait(t, "k", "k2")
	again, err := seed.DBFamily(ctx, "fam")
	if err != nil || !reflect.DeepEqual(again, map[string]any{"k": int64(1), "k2": int64(3)}) {
		t.Fatalf("after changing the first answer, DBFamily = %v, %v", again, err)
	}
}
