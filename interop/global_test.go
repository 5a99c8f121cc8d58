package interop

// Live tests of the global service and the distributed database in meshes
// of real Perl AnyEvent::MP 2.02 nodes and aemp-go nodes: one test per
// mesh shape (Perl seed, Go seed, Perl and Go seeds meshed, seed
// failover), plus a comparison of database query answers. Perl nodes run
// testdata/global_agent.pl and print what they observe as JSON lines.

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// goInbox is a Go port that hands every message it gets to a channel.
type goInbox struct {
	port *node.Port
	msgs chan []any
}

func newGoInbox(n *node.Node) *goInbox {
	in := &goInbox{msgs: make(chan []any, 16)}
	in.port = n.NewPort(func(_ *node.Port, args []any) {
		select {
		case in.msgs <- slices.Clone(args):
		default:
		}
	})
	return in
}

// views are the database monitors a check looks at, on both sides.
type views struct {
	gos   []*goWatch
	perls []*perlWatch
}

// waitKeys waits until every view shows exactly want, within d of start.
func (v views) waitKeys(t *testing.T, start time.Time, d time.Duration, want []string, what string) {
	t.Helper()
	ctx, cancel := context.WithDeadline(context.Background(), start.Add(d))
	defer cancel()
	for _, w := range v.gos {
		w.waitKeys(t, ctx, want, what)
	}
	for _, w := range v.perls {
		w.waitKeys(ctx, want, what)
	}
}

// checkDelta checks that the monitor call that brought every view to its
// present state reported exactly this change (Perl's db_mon arguments
// \@added, \@changed, \@deleted; DBMonFunc's added, changed, deleted).
func (v views) checkDelta(t *testing.T, added, deleted []string, what string) {
	t.Helper()
	want := [3][]string{added, nil, deleted}
	check := func(who string, got [3][]string) {
		for i, name := range []string{"added", "changed", "deleted"} {
			if !meshSameSet(got[i], want[i]) {
				t.Errorf("%s: %s's db_mon call reported %s %v, want %v", what, who, name, got[i], want[i])
			}
		}
	}
	for _, w := range v.gos {
		check("a Go node", w.lastDelta())
	}
	for _, w := range v.perls {
		check(w.a.Name, w.lastDelta())
	}
}

// perlValue returns the value of key in the last family state a Perl
// monitor reported, normalised.
func perlValue(t *testing.T, w *perlWatch, key string) string {
	t.Helper()
	var fam map[string]any
	if err := jsonUnmarshalNumber(w.last["family"], &fam); err != nil {
		t.Fatal(err)
	}
	v, ok := fam[key]
	if !ok {
		t.Fatalf("Perl db_mon state %s has no key %s", w.last.Raw("family"), key)
	}
	return meshJSON(t, v)
}

// registrationChecks runs the common part of every mesh test: a port
// registered with DBReg on goReg and one registered with db_reg on
// perlReg are seen by every view within visibleWithin, with their values;
// the two ports exchange messages; each registration disappears from
// every view when its port is killed.
func registrationChecks(t *testing.T, family string, goReg *node.Node, perlReg *meshAgent, v views) {
	t.Helper()
	// Go registers, everybody sees it
	gin := newGoInbox(goReg)
	gp := gin.port.ID()
	start := time.Now()
	if _, err := goReg.DBReg(family, gp, "go-value"); err != nil {
		t.Fatal(err)
	}
	v.waitKeys(t, start, visibleWithin, []string{gp}, "Go DBReg")
	v.checkDelta(t, []string{gp}, nil, "Go DBReg")
	t.Logf("Go DBReg seen everywhere after %v", time.Since(start).Round(time.Millisecond))
	for _, w := range v.perls {
		if got := perlValue(t, w, gp); got != `"go-value"` {
			t.Errorf("Perl %s sees %s = %s, want \"go-value\"", w.a.Name, gp, got)
		}
	}

	// Perl registers, everybody sees it
	pp := perlReg.newPort("reg")
	start = time.Now()
	perlReg.do(map[string]any{"op": "db_reg", "family": family, "port": pp, "value": map[string]any{"n": 1, "s": "perl"}})
	v.waitKeys(t, start, visibleWithin, []string{gp, pp}, "Perl db_reg")
	v.checkDelta(t, []string{pp}, nil, "Perl db_reg")
	t.Logf("Perl db_reg seen everywhere after %v", time.Since(start).Round(time.Millisecond))
	for _, w := range v.gos {
		st, _ := w.snapshot()
		if got := meshJSON(t, st[pp]); got != `{"n":1,"s":"perl"}` {
			t.Errorf("Go DBMon sees %s = %s, want {\"n\":1,\"s\":\"perl\"}", pp, got)
		}
		if got := meshJSON(t, st[gp]); got != `"go-value"` {
			t.Errorf("Go DBMon sees %s = %s, want \"go-value\"", gp, got)
		}
	}

	// the registered ports talk to each other
	if err := goReg.Snd(pp, "ping", gp); err != nil {
		t.Fatal(err)
	}
	if got := perlReg.msg(timeout(t, 10*time.Second), "reg"); got != fmt.Sprintf(`["ping","%s"]`, gp) {
		t.Errorf("Perl port got %s, want [\"ping\",%q]", got, gp)
	}
	perlReg.do(map[string]any{"op": "snd", "to": gp, "msg": []any{"pong", pp}})
	if got := recv(t, gin.msgs, "message from Perl to the registered Go port"); len(got) != 2 || got[0] != "pong" || got[1] != pp {
		t.Errorf("Go port got %#v, want [pong %s]", got, pp)
	}

	// killing a port removes its registration
	start = time.Now()
	gin.port.Kil()
	v.waitKeys(t, start, visibleWithin, []string{pp}, "Go port killed")
	v.checkDelta(t, nil, []string{gp}, "Go port killed")
	start = time.Now()
	perlReg.do(map[string]any{"op": "kil", "port": pp})
	v.waitKeys(t, start, visibleWithin, []string{}, "Perl port killed")
	v.checkDelta(t, nil, []string{pp}, "Perl port killed")
}

// registerBoth registers a fresh port on each side (for the node-death
// checks) and waits until every view shows both.
func registerBoth(t *testing.T, family string, goReg *node.Node, perlReg *meshAgent, v views) (gp, pp string) {
	t.Helper()
	gp = goReg.NewPort(func(*node.Port, []any) {}).ID()
	if _, err := goReg.DBReg(family, gp, nil); err != nil {
		t.Fatal(err)
	}
	pp = perlReg.newPort("reg2")
	perlReg.do(map[string]any{"op": "db_reg", "family": family, "port": pp})
	v.waitKeys(t, time.Now(), 5*time.Second, []string{gp, pp}, "second registrations")
	return gp, pp
}

// TestGlobalPerlSeed: a Perl seed (global because its own address is its
// seed) with a Go node and a Perl node bound to it. Registrations made on
// either side reach db_mon/DBMon on both sides within a second and vanish
// when the port is killed, when the Perl process is killed and when the
// Go node is closed.
func TestGlobalPerlSeed(t *testing.T) {
	RequirePerl(t)
	const family = "gla_reg"
	seed := startGlobalAgent(t, Spec{NodeID: "gla_seed"})
	g, _ := meshGoNode(t, node.Config{NodeID: "gla_go", Binds: []string{"127.0.0.1:0"}, Seeds: []string{seed.Addr}})
	gobs, _ := meshGoNode(t, node.Config{NodeID: "gla_goobs", Binds: []string{"127.0.0.1:0"}, Seeds: []string{seed.Addr}})
	p := startGlobalAgent(t, Spec{NodeID: "gla_perl", Seeds: []string{seed.Addr}})

	gw, ow := goMon(t, g, family), goMon(t, gobs, family)
	pw, sw := perlMon(t, p, family), perlMon(t, seed, family)
	all := views{gos: []*goWatch{gw, ow}, perls: []*perlWatch{pw, sw}}
	registrationChecks(t, family, g, p, all)

	gp, _ := registerBoth(t, family, g, p, all)
	start := time.Now()
	p.Kill()
	views{gos: []*goWatch{gw, ow}, perls: []*perlWatch{sw}}.waitKeys(t, start, visibleWithin, []string{gp}, "Perl process killed")
	start = time.Now()
	g.Close()
	views{gos: []*goWatch{ow}, perls: []*perlWatch{sw}}.waitKeys(t, start, visibleWithin, []string{}, "Go node closed")
}

// TestGlobalGoSeed: a Go seed (its bind address is its seed, so it runs
// the global service) with two Perl nodes and a Go node. The registration
// checks hold for every view, including the Go seed's own; the two Perl
// nodes find each other through the Go seed (g_find, seen in its trace)
// and exchange a message; registrations vanish when their node goes.
func TestGlobalGoSeed(t *testing.T) {
	RequirePerl(t)
	const family, inbox = "glb_reg", "glb_inbox"
	addr := FreeAddr(t)
	trace := newLineLog()
	seed, _ := meshGoNode(t, node.Config{NodeID: "glb_seed", Binds: []string{addr}, Seeds: []string{addr}, Trace: trace})
	g, _ := meshGoNode(t, node.Config{NodeID: "glb_go", Binds: []string{"127.0.0.1:0"}, Seeds: []string{addr}})
	p1 := startGlobalAgent(t, Spec{NodeID: "glb_p1", Seeds: []string{addr}})
	p2 := startGlobalAgent(t, Spec{NodeID: "glb_p2", Seeds: []string{addr}})

	sw, gw := goMon(t, seed, family), goMon(t, g, family)
	w1, w2 := perlMon(t, p1, family), perlMon(t, p2, family)
	all := views{gos: []*goWatch{sw, gw}, perls: []*perlWatch{w1, w2}}
	registrationChecks(t, family, g, p1, all)

	// p1 registers an inbox; p2 finds it with db_mon and sends to it. p2
	// has never talked to p1: it must ask its master, the Go seed, where
	// p1 listens.
	box := p1.newPort("inbox")
	p1.do(map[string]any{"op": "db_reg", "family": inbox, "port": box})
	mon := p2.do(map[string]any{"op": "db_mon_snd", "family": inbox, "msg": []any{"hello", "from p2"}}).Str("id")
	ctx := timeout(t, 10*time.Second)
	if to := p2.wait(ctx, "p2 sending to p1's inbox", Ev("sent", mon)).Str("to"); to != box {
		t.Errorf("p2 sent to %s, want p1's inbox %s", to, box)
	}
	if got, want := p1.msg(ctx, "inbox"), `["hello","from p2","glb_p2"]`; got != want {
		t.Errorf("p1's inbox got %s, want %s", got, want)
	}
	if _, err := trace.Wait(ctx, "RCV glb_p2 -> ", `"g_find","glb_p1"`); err != nil {
		t.Errorf("p2 did not ask the Go seed for p1's address: %v", err)
	}
	if line, err := trace.Wait(ctx, "SND glb_p2 <- ", `"g_found","glb_p1",["`+p1.Addr+`"]`); err != nil {
		t.Errorf("the Go seed did not answer p2's g_find with p1's address %s: %v", p1.Addr, err)
	} else {
		t.Logf("Go seed: %s", line)
	}

	gp, _ := registerBoth(t, family, g, p1, all)
	start := time.Now()
	p1.Kill()
	views{gos: []*goWatch{sw, gw}, perls: []*perlWatch{w2}}.waitKeys(t, start, visibleWithin, []string{gp}, "Perl process killed")
	start = time.Now()
	g.Close()
	views{gos: []*goWatch{sw}, perls: []*perlWatch{w2}}.waitKeys(t, start, visibleWithin, []string{}, "Go node closed")
}

// TestGlobalMixedSeeds: a Perl seed and a Go seed that list both
// addresses as seeds mirror each other's databases. A Perl node bound
// only to the Perl seed and a Go node bound only to the Go seed see each
// other's registrations and exchange messages (each finds the other's
// address through its own seed). When the Perl seed is killed, the Go seed
// and its slave drop every entry that came from the Perl side.
func TestGlobalMixedSeeds(t *testing.T) {
	RequirePerl(t)
	const family = "glc_reg"
	pa, ga := FreeAddr(t), FreeAddr(t)
	seeds := []string{pa, ga}
	gseed, _ := meshGoNode(t, node.Config{NodeID: "glc_gseed", Binds: []string{ga}, Seeds: seeds})
	pseed := startGlobalAgent(t, Spec{NodeID: "glc_pseed", Addr: pa, Seeds: seeds})
	g, glog := meshGoNode(t, node.Config{NodeID: "glc_go", Binds: []string{"127.0.0.1:0"}, Seeds: []string{ga}})
	p := startGlobalAgent(t, Spec{NodeID: "glc_perl", Seeds: []string{pa}, Verbose: true})

	ctx := timeout(t, 10*time.Second)
	if _, err := glog.Wait(ctx, "new master node", `master="glc_gseed"`); err != nil {
		t.Fatalf("Go node: %v", err)
	}
	if _, err := p.WaitLine(ctx, true, "new master node: glc_pseed."); err != nil {
		t.Fatalf("Perl node: %v", err)
	}
	gw, sgw := goMon(t, g, family), goMon(t, gseed, family)
	pw, spw := perlMon(t, p, family), perlMon(t, pseed, family)
	all := views{gos: []*goWatch{gw, sgw}, perls: []*perlWatch{pw, spw}}
	registrationChecks(t, family, g, p, all)

	// the seeds' own registrations, and one more of each non-seed node
	gsp := gseed.NewPort(func(*node.Port, []any) {}).ID()
	if _, err := gseed.DBReg(family, gsp, nil); err != nil {
		t.Fatal(err)
	}
	psp := pseed.newPort("seedreg")
	pseed.do(map[string]any{"op": "db_reg", "family": family, "port": psp})
	gp, pp := registerBoth(t, family, g, p, views{})
	all.waitKeys(t, time.Now(), 5*time.Second, []string{gsp, psp, gp, pp}, "seed registrations")

	// the Perl seed dies: the Go seed drops what it had from it (its own
	// entry and those of its slave), on itself and for its Go slave
	start := time.Now()
	pseed.Kill()
	views{gos: []*goWatch{gw, sgw}}.waitKeys(t, start, visibleWithin, []string{gsp, gp}, "Perl seed killed")
}

// failoverSide is what TestGlobalFailover does on the node under test
// (x) and on the observer, in either language.
type failoverSide struct {
	waitFailover func(ctx context.Context)                             // x reports its new master
	xReg         func(name string) string                              // x registers a new port
	xKil         func(port string)                                     // x kills one of its ports
	xSees        func(ctx context.Context, want []string, what string) // x's own db_mon
	obsReg       func() string                                         // the observer registers a port
	obsSees      func(ctx context.Context, want []string, what string) // the observer's db_mon
}

// TestGlobalFailover: a node x with two seeds is bound to the first (the
// second is started later, so the first is the only choice). When that
// seed goes away (Perl process killed; Go seed closed), x binds to the
// second, and its registrations are visible through the second seed: a
// monitor on an observer node bound only to the second seed still shows
// x's old registration, shows a new one within a second and the removal
// of the old one when its port is killed. x's own db_mon, started before
// the failover, is served by the new master too: it sees a registration
// the observer makes afterwards.
func TestGlobalFailover(t *testing.T) {
	RequirePerl(t)
	after := func(t *testing.T, old string, s failoverSide) {
		t.Helper()
		t0 := time.Now()
		s.waitFailover(timeout(t, 10*time.Second))
		t.Logf("failover after %v", time.Since(t0).Round(time.Millisecond))
		within := func() context.Context {
			ctx, cancel := context.WithTimeout(context.Background(), visibleWithin)
			t.Cleanup(cancel)
			return ctx
		}
		nw := s.xReg("new")
		s.obsSees(within(), []string{old, nw}, "registration after the failover")
		s.xKil(old)
		s.obsSees(within(), []string{nw}, "port killed after the failover")
		op := s.obsReg()
		s.xSees(within(), []string{nw, op}, "observer's registration, at x after the failover")
	}

	t.Run("GoNodeLosesPerlSeed", func(t *testing.T) {
		const family = "gld_reg"
		pa, ga := FreeAddr(t), FreeAddr(t)
		seeds := []string{pa, ga}
		first := startGlobalAgent(t, Spec{NodeID: "gld_pseed", Addr: pa, Seeds: seeds})
		x, xlog := meshGoNode(t, node.Config{NodeID: "gld_x", Binds: []string{"127.0.0.1:0"}, Seeds: seeds})
		ctx := timeout(t, 10*time.Second)
		if _, err := xlog.Wait(ctx, "new master node", `master="gld_pseed"`); err != nil {
			t.Fatal(err)
		}
		xw := goMon(t, x, family)
		xports := map[string]*node.Port{}
		xReg := func(name string) string {
			p := x.NewPort(func(*node.Port, []any) {})
			if _, err := x.DBReg(family, p.ID(), name); err != nil {
				t.Fatal(err)
			}
			xports[p.ID()] = p
			return p.ID()
		}
		old := xReg("old")
		second, _ := meshGoNode(t, node.Config{NodeID: "gld_gseed", Binds: []string{ga}, Seeds: seeds})
		obs := startGlobalAgent(t, Spec{NodeID: "gld_obs", Seeds: []string{ga}})
		ow := perlMon(t, obs, family)
		ow.waitKeys(ctx, []string{old}, "before the failover (mirrored from the Perl seed)")
		if !meshEventually(ctx, func() bool { return x.NodeIsUp(second.ID()) }) {
			t.Fatal("the Go node never connected to its second seed")
		}

		first.Kill()
		after(t, old, failoverSide{
			waitFailover: func(ctx context.Context) {
				if _, err := xlog.Wait(ctx, "new master node", `master="gld_gseed"`); err != nil {
					t.Fatalf("no failover: %v", err)
				}
				ow.waitContains(ctx, old, "old registration after the failover")
			},
			xReg:  xReg,
			xKil:  func(p string) { xports[p].Kil() },
			xSees: func(ctx context.Context, want []string, what string) { xw.waitKeys(t, ctx, want, what) },
			obsReg: func() string {
				p := obs.newPort("obs")
				obs.do(map[string]any{"op": "db_reg", "family": family, "port": p})
				return p
			},
			obsSees: func(ctx context.Context, want []string, what string) { ow.waitKeys(ctx, want, what) },
		})
	})

	t.Run("PerlNodeLosesGoSeed", func(t *testing.T) {
		const family = "gle_reg"
		ga, pa := FreeAddr(t), FreeAddr(t)
		seeds := []string{ga, pa}
		first, _ := meshGoNode(t, node.Config{NodeID: "gle_gseed", Binds: []string{ga}, Seeds: seeds})
		x := startGlobalAgent(t, Spec{NodeID: "gle_x", Seeds: seeds, Verbose: true})
		ctx := timeout(t, 10*time.Second)
		if _, err := x.WaitLine(ctx, true, "new master node: gle_gseed."); err != nil {
			t.Fatal(err)
		}
		xw := perlMon(t, x, family)
		xReg := func(name string) string {
			p := x.newPort(name)
			x.do(map[string]any{"op": "db_reg", "family": family, "port": p, "value": name})
			return p
		}
		old := xReg("old")
		second := startGlobalAgent(t, Spec{NodeID: "gle_pseed", Addr: pa, Seeds: seeds})
		obs, _ := meshGoNode(t, node.Config{NodeID: "gle_obs", Binds: []string{"127.0.0.1:0"}, Seeds: []string{pa}})
		ow := goMon(t, obs, family)
		ow.waitKeys(t, ctx, []string{old}, "before the failover (mirrored from the Go seed)")
		x.wait(ctx, "the Perl node connected to its second seed", func(e Event) bool {
			return e.Str("ev") == "node" && e.Str("node") == second.NodeID && e.Raw("up") == "true"
		})

		first.Close()
		after(t, old, failoverSide{
			waitFailover: func(ctx context.Context) {
				if _, err := x.WaitLine(ctx, true, "new master node: gle_pseed."); err != nil {
					t.Fatalf("no failover: %v", err)
				}
				if err := ow.wait(ctx, func(st map[string]any) bool { _, ok := st[old]; return ok }); err != nil {
					t.Fatalf("old registration not visible after the failover: %v", err)
				}
			},
			xReg:  xReg,
			xKil:  func(p string) { x.do(map[string]any{"op": "kil", "port": p}) },
			xSees: func(ctx context.Context, want []string, what string) { xw.waitKeys(ctx, want, what) },
			obsReg: func() string {
				p := obs.NewPort(func(*node.Port, []any) {})
				if _, err := obs.DBReg(family, p.ID(), nil); err != nil {
					t.Fatal(err)
				}
				return p.ID()
			},
			obsSees: func(ctx context.Context, want []string, what string) { ow.waitKeys(t, ctx, want, what) },
		})
	})
}

// TestGlobalDbQueries: db_family, db_keys and db_values give the same
// answers on Perl and Go nodes. The family is filled from both sides with
// values of every JSON kind (numbers, strings with non-ASCII text, lists,
// maps, null, booleans; a key of each side set and deleted again); the
// querying nodes are bound to different masters (a Perl and a Go seed, meshed), and the seeds answer too. A
// family nobody set is empty everywhere.
func TestGlobalDbQueries(t *testing.T) {
	RequirePerl(t)
	t.Run("CBOR", func(t *testing.T) { dbQueries(t, nil) })
	t.Run("JSON", func(t *testing.T) { dbQueries(t, []string{"json"}) })
}

// dbQueries is TestGlobalDbQueries with the given framings offered by
// every node (nil: the defaults, so CBOR on every connection; json: JSON
// on every connection).
func dbQueries(t *testing.T, framings []string) {
	const family, empty = "glq_fam", "glq_none"
	pa, ga := FreeAddr(t), FreeAddr(t)
	seeds := []string{pa, ga}
	gseed, _ := meshGoNode(t, node.Config{NodeID: "glq_gseed", Binds: []string{ga}, Seeds: seeds, Framings: framings})
	pseed := startGlobalAgent(t, Spec{NodeID: "glq_pseed", Addr: pa, Seeds: seeds, Framings: framings})
	g, glog := meshGoNode(t, node.Config{NodeID: "glq_go", Binds: []string{"127.0.0.1:0"}, Seeds: []string{pa}, Framings: framings})
	p := startGlobalAgent(t, Spec{NodeID: "glq_perl", Seeds: []string{ga}, Framings: framings})

	perlVals := map[string]any{
		"p_int":   42,
		"p_neg":   -7,
		"p_float": 2.5,
		"p_str":   "perl text",
		"p_utf8":  "grüße ☃",
		"p_list":  []any{1, "two", 3.5, nil},
		"p_hash":  map[string]any{"a": 1, "b": []any{"x"}, "c": map[string]any{"d": true, "e": false}},
		"p_null":  nil,
		"p_gone":  "deleted again",
	}
	goVals := map[string]any{
		"g_int":   int64(7),
		"g_big":   int64(1) << 40,
		"g_float": 0.25,
		"g_str":   "go text",
		"g_utf8":  "日本語",
		"g_list":  []any{"a", int64(1), false},
		"g_map":   map[string]any{"k": "v", "n": int64(2), "l": []any{}},
		"g_nil":   nil,
		"g_true":  true,
		"g_gone":  "deleted again",
	}
	var want []string
	for k, v := range perlVals {
		p.do(map[string]any{"op": "db_set", "family": family, "key": k, "value": v})
		want = append(want, k)
	}
	for k, v := range goVals {
		if _, err := g.DBSet(family, k, v); err != nil {
			t.Fatal(err)
		}
		want = append(want, k)
	}
	// one key of each side is deleted again (db_del, DBDel)
	p.do(map[string]any{"op": "db_del", "family": family, "keys": []string{"p_gone"}})
	g.DBDel(family, "g_gone")
	want = slices.DeleteFunc(want, func(k string) bool { return strings.HasSuffix(k, "_gone") })
	reg := p.newPort("reg")
	p.do(map[string]any{"op": "db_reg", "family": family, "port": reg})
	want = append(want, reg)

	// wait until the family has converged on both querying nodes
	ctx := timeout(t, 10*time.Second)
	goMon(t, g, family).waitKeys(t, ctx, want, "family filled")
	perlMon(t, p, family).waitKeys(ctx, want, "family filled")

	type answers struct{ family, keys, values string }
	perlAsk := func(a *meshAgent, fam string) answers {
		var r answers
		for _, op := range []string{"db_family", "db_keys", "db_values"} {
			id := a.do(map[string]any{"op": op, "family": fam}).Str("id")
			ev := a.wait(ctx, op+" answer", Ev(op, id))
			raw := ev["result"]
			switch op {
			case "db_family":
				r.family = meshJSON(t, raw)
			default:
				var l []any
				if err := jsonUnmarshalNumber(raw, &l); err != nil {
					t.Fatalf("%s %s: %v", op, raw, err)
				}
				s := sortedJSON(t, l)
				if op == "db_keys" {
					r.keys = s
				} else {
					r.values = s
				}
			}
		}
		return r
	}
	goAsk := func(n *node.Node, fam string) answers {
		f, err := n.DBFamily(ctx, fam)
		if err != nil {
			t.Fatal(err)
		}
		keys, err := n.DBKeys(ctx, fam)
		if err != nil {
			t.Fatal(err)
		}
		vals, err := n.DBValues(ctx, fam)
		if err != nil {
			t.Fatal(err)
		}
		kl := make([]any, len(keys))
		for i, k := range keys {
			kl[i] = k
		}
		return answers{meshJSON(t, f), sortedJSON(t, kl), sortedJSON(t, vals)}
	}

	if framings != nil {
		// the Go node really talks JSON with its Perl master
		if _, err := glog.Wait(ctx, `"connected"`, `peer="glq_pseed"`, `send="json"`, `recv="json"`); err != nil {
			t.Errorf("Go node and Perl seed: %v", err)
		}
	}

	// what Perl set arrives in Go as the types of protocol.Message's model
	f, err := g.DBFamily(ctx, family)
	if err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"p_int": "int64", "p_neg": "int64", "p_float": "float64", "p_str": "string", "p_utf8": "string",
		"p_list": "[]interface {}", "p_hash": "map[string]interface {}", "p_null": "<nil>",
	} {
		if got := fmt.Sprintf("%T", f[k]); got != want {
			t.Errorf("Go DBFamily: %s is a %s (%#v), want a %s", k, got, f[k], want)
		}
	}
	if h, _ := f["p_hash"].(map[string]any); h != nil {
		if c, _ := h["c"].(map[string]any); c == nil || c["d"] != true || c["e"] != false {
			t.Errorf("Go DBFamily: p_hash.c = %#v, want map[d:true e:false]", h["c"])
		}
	}
	if f["p_utf8"] != "grüße ☃" {
		t.Errorf("Go DBFamily: p_utf8 = %q, want %q", f["p_utf8"], "grüße ☃")
	}

	for _, fam := range []string{family, empty} {
		ref := perlAsk(p, fam)
		got := map[string]answers{
			"Go node glq_go (master: Perl seed)": goAsk(g, fam),
			"Go seed glq_gseed":                  goAsk(gseed, fam),
			"Perl seed glq_pseed":                perlAsk(pseed, fam),
		}
		for who, a := range got {
			if a.family != ref.family {
				t.Errorf("%s: db_family %s:\n  %s\nPerl node glq_perl (master: Go seed):\n  %s", who, fam, a.family, ref.family)
			}
			if a.keys != ref.keys {
				t.Errorf("%s: db_keys %s:\n  %s\nPerl node glq_perl:\n  %s", who, fam, a.keys, ref.keys)
			}
			if a.values != ref.values {
				t.Errorf("%s: db_values %s:\n  %s\nPerl node glq_perl:\n  %s", who, fam, a.values, ref.values)
			}
		}
		if fam == family && !t.Failed() {
			t.Logf("db_family %s as every node answers it: %s", fam, ref.family)
		}
	}
}

// sortedJSON renders a list as the sorted JSON texts of its elements: a
// comparison as multisets.
func sortedJSON(t *testing.T, l []any) string {
	t.Helper()
	out := make([]string, len(l))
	for i, v := range l {
		out[i] = meshJSON(t, v)
	}
	slices.Sort(out)
	return "[" + strings.Join(out, ",") + "]"
}
