package interop

// The API calls added to match MP.pm and Kernel.pm, each checked against
// what Perl 2.02 does in the same situation: tag matching by Perl's
// stringification, $SRCNODE, port_is_local, node_is_up's three answers,
// peval with arguments, results and death, and srv: seeds from the
// library.

import (
	"context"
	"encoding/json"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/internal/dnstest"
	"github.com/aemp-go/aemp-go/node"
)

// tagFirsts are first elements whose stringification decides the tag
// handler; perlTags are the tags both ports have.
var (
	tagFirsts = []any{int64(1), 1.5, 1e20, true, false, nil, "x", []any{"x"}, int64(2)}
	perlTags  = []string{"1", "1.5", "1e+20", "0", "", "x"}
)

// TestTagMatchingAsPerl: a message's first element finds the same tag
// handler on a Go port as on a Perl port, whichever side sends.
func TestTagMatchingAsPerl(t *testing.T) {
	RequirePerl(t)
	addr := FreeAddr(t)
	g, _ := goNode(t, node.Config{NodeID: "gap_go", Binds: []string{addr}, Seeds: []string{addr}})
	p := startOpsAgent(t, Spec{NodeID: "gap_perl", Secret: testSecret, Seeds: []string{addr}})
	waitUp(t, g, "gap_perl") // a global node knows no address of a node not yet connected
	perlPort := p.Do(t, map[string]any{"op": "tagport", "name": "tp", "tags": perlTags}).Str("port")

	type hit struct{ handler, src string }
	goHits := make(chan hit, 100)
	gp := g.NewPort(func(self *node.Port, _ []any) { goHits <- hit{"default", self.SrcNode()} })
	for _, tag := range perlTags {
		gp.Rcv(tag, func(self *node.Port, _ []any) { goHits <- hit{tag, self.SrcNode()} })
	}
	ctx := timeout(t, 20*time.Second)
	for _, first := range tagFirsts {
		// Go sends to Perl's port; Perl sends the same value to Go's
		g.Snd(perlPort, first, "go")
		ev := p.WaitEvent(t, ctx, "tag event", func(e Event) bool { return e.Str("ev") == "tag" })
		p.Do(t, map[string]any{"op": "snd", "to": gp.ID(), "msg": []any{perlJSON(first), "perl"}})
		got := recv(t, goHits, "Go port message")
		if ev.Str("handler") != got.handler {
			t.Errorf("first element %#v: Perl's port used handler %q, Go's %q", first, ev.Str("handler"), got.handler)
		}
		if ev.Str("src") != "gap_go" || got.src != "gap_perl" {
			t.Errorf("$SRCNODE on Perl %q (want gap_go), SrcNode on Go %q (want gap_perl)", ev.Str("src"), got.src)
		}
	}
	// relayed with snd_on: both name the relaying node, the connection
	// the message came in on
	g.Snd("gap_perl", "snd", gp.ID(), "x", "relayed")
	if got := recv(t, goHits, "relayed message"); got.src != "gap_perl" {
		t.Errorf("Go SrcNode of a message relayed by gap_perl: %q", got.src)
	}
}

// perlJSON keeps floats floats in a command to the Perl agent:
// encoding/json writes 1e20 as 100000000000000000000, which JSON::XS
// reads as a string.
func perlJSON(v any) any {
	if f, ok := v.(float64); ok {
		return json.RawMessage(strconv.FormatFloat(f, 'g', -1, 64))
	}
	return v
}

// TestPortIsLocalAsPerl compares port_is_local with PortIsLocal.
func TestPortIsLocalAsPerl(t *testing.T) {
	RequirePerl(t)
	addr := FreeAddr(t)
	g, _ := goNode(t, node.Config{NodeID: "gap_go", Binds: []string{addr}, Seeds: []string{addr}})
	p := startOpsAgent(t, Spec{NodeID: "gap_perl", Secret: testSecret, Seeds: []string{addr}})
	// the same shapes of ID, from each node's point of view
	for _, c := range []struct{ perlID, goID string }{
		{"gap_perl#x", "gap_go#x"}, {"gap_perl", "gap_go"}, {"gap_perl#", "gap_go#"},
		{"gap_perl_more#x", "gap_go_more#x"}, {"gap_go#x", "gap_perl#x"}, {"", ""},
	} {
		perl := p.Do(t, map[string]any{"op": "port_is_local", "port": c.perlID}).Raw("local") == "1"
		if goLocal := g.PortIsLocal(c.goID); goLocal != perl {
			t.Errorf("Perl's port_is_local %q = %v, Go's PortIsLocal %q = %v", c.perlID, perl, c.goID, goLocal)
		}
	}
}

// TestNodeStateAsPerl: node_is_up answers 1 (up), 0 (known, down: a
// connection is being made) or undef (unknown: never contacted, or lost
// with nothing waiting, when Perl lets the node object go); NodeState
// gives the same three answers. Both sides are slaves of a Go seed and
// talk to a third node, which then goes away.
func TestNodeStateAsPerl(t *testing.T) {
	RequirePerl(t)
	addr := FreeAddr(t)
	goNode(t, node.Config{NodeID: "gap_seed", Binds: []string{addr}, Seeds: []string{addr}})
	p := startOpsAgent(t, Spec{NodeID: "gap_perl", Secret: testSecret, Seeds: []string{addr}, Extra: map[string]any{"connect_interval": 30}})
	g, _ := goNode(t, node.Config{NodeID: "gap_go", Binds: []string{"127.0.0.1:0"}, Seeds: []string{addr}, ConnectInterval: 30 * time.Second})
	d, _ := goNode(t, node.Config{NodeID: "gap_doomed", Binds: []string{"127.0.0.1:0"}, Seeds: []string{addr}})
	// both talk to gap_doomed; the first attempts may come before the
	// seed has its address
	ctx := timeout(t, 20*time.Second)
	for !g.NodeIsUp("gap_doomed") {
		short, cancel := context.WithTimeout(ctx, time.Second)
		g.Cal(short, "gap_doomed", "time")
		cancel()
		if ctx.Err() != nil {
			t.Fatal("gap_go cannot reach gap_doomed")
		}
	}
	id := p.Do(t, map[string]any{"op": "cal", "to": "gap_doomed", "msg": []any{"time"}}).Str("id")
	if r := p.WaitEvent(t, ctx, "Perl's cal to gap_doomed", Ev("cal", id)).Raw("reply"); r == "[]" {
		t.Fatal("Perl's cal to gap_doomed timed out")
	}

	perlState := func(id string) string {
		return p.Do(t, map[string]any{"op": "node_is_up", "node": id}).Raw("state")
	}
	want := map[string]node.NodeStatus{"1": node.NodeUp, "0": node.NodeDown, "null": node.NodeUnknown}
	check := func(what, perlID, goID string) {
		t.Helper()
		ps := perlState(perlID)
		if gs := g.NodeState(goID); want[ps] != gs {
			t.Errorf("%s: Perl node_is_up = %s, Go NodeState = %v", what, ps, gs)
		}
	}
	check("self", "gap_perl", "gap_go")
	check("connected", "gap_doomed", "gap_doomed")
	check("never heard of", "gap_nosuch", "gap_nosuch")
	d.Close()
	for g.NodeIsUp("gap_doomed") || perlState("gap_doomed") == "1" {
		select {
		case <-ctx.Done():
			t.Fatalf("gap_doomed still up: Perl %s, Go %v", perlState("gap_doomed"), g.NodeState("gap_doomed"))
		case <-time.After(20 * time.Millisecond):
		}
	}
	check("lost, nothing waiting", "gap_doomed", "gap_doomed")

	// a node whose address the seed knows but which never answers the
	// handshake: a message for it starts a connection attempt that lasts
	// connect_interval (30 s here), on both sides
	var mu sync.Mutex
	var held []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range held {
			c.Close()
		}
	})
	silent := listen(t)
	go func() {
		for {
			c, err := silent.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			held = append(held, c)
			mu.Unlock()
		}
	}()
	p.Do(t, map[string]any{"op": "db_set", "family": "'l", "key": "gap_silent", "value": []any{silent.Addr().String()}})
	p.Do(t, map[string]any{"op": "snd", "to": "gap_silent#x", "msg": []any{"hello"}})
	g.Snd("gap_silent#x", "hello")
	check("connecting", "gap_silent", "gap_silent")
}

// TestPevalAsPerl: peval returns the callback's results (Perl passes
// extra arguments, Go captures them), and a die in it kills the port
// with ["die", message], which the other side's monitor sees alike.
func TestPevalAsPerl(t *testing.T) {
	RequirePerl(t)
	addr := FreeAddr(t)
	g, _ := goNode(t, node.Config{NodeID: "gap_go", Binds: []string{addr}, Seeds: []string{addr}})
	p := startOpsAgent(t, Spec{NodeID: "gap_perl", Secret: testSecret, Seeds: []string{addr}})
	waitUp(t, g, "gap_perl")
	pp := p.Do(t, map[string]any{"op": "port"}).Str("port")
	res := p.Do(t, map[string]any{"op": "peval", "port": pp, "args": []any{1, 2, 3}}).Raw("result")
	gport := g.NewPort(func(*node.Port, []any) {})
	args := []int{1, 2, 3}
	goRes, ok := node.PevalResult(gport, func() []int {
		sum := 0
		for _, a := range args {
			sum += a
		}
		return []int{sum, len(args)}
	})
	if b, _ := json.Marshal(goRes); !ok || string(b) != res {
		t.Errorf("Perl's peval returned %s, Go's PevalResult %s (ok %v)", res, b, ok)
	}

	// each side dies inside peval; the other side monitors
	goSaw := make(chan []any, 1)
	g.MonFunc(pp, func(r []any) { goSaw <- r })
	p.Do(t, map[string]any{"op": "mon", "id": "m1", "port": gport.ID()})
	// a round trip each way after the monitor requests: they were
	// handled before the answers (messages between two nodes keep
	// their order)
	if _, err := g.Cal(timeout(t, 10*time.Second), "gap_perl", "time"); err != nil {
		t.Fatal(err)
	}
	id := p.Do(t, map[string]any{"op": "cal", "to": "gap_go", "msg": []any{"time"}}).Str("id")
	p.WaitEvent(t, timeout(t, 10*time.Second), "Perl's round trip", Ev("cal", id))
	p.Do(t, map[string]any{"op": "peval", "port": pp, "die": "boom"})
	if _, ok := node.PevalResult(gport, func() int { panic("boom\n") }); ok {
		t.Error("PevalResult reported success after a panic")
	}
	perlSaw := p.WaitEvent(t, timeout(t, 10*time.Second), "Perl's monitor", Ev("mon", "m1")).Raw("reason")
	goReason, _ := json.Marshal(recv(t, goSaw, "Go's monitor"))
	if perlSaw != `["die","boom"]` || string(goReason) != perlSaw {
		t.Errorf("killed in peval: Perl's monitor saw %s, Go's %s", perlSaw, goReason)
	}
}

// TestSRVSeedFromLibrary: a profile whose seed is "srv:NAME" works
// through compat.ConfigureWith: the Go node finds the Perl seed through
// DNS and uses it as its master.
func TestSRVSeedFromLibrary(t *testing.T) {
	RequirePerl(t)
	perlSeed := startGlobalAgent(t, Spec{NodeID: "gap_srvseed", Secret: testSecret})
	host, port, _ := net.SplitHostPort(perlSeed.Addr)
	pn, _ := strconv.Atoi(port)
	d := dnstest.Start(t)
	const name = "_aemp._tcp.gap.example"
	d.Set(name, dnstest.RR(0, 0, uint16(pn), host+"."))
	args := map[string]any{"nodeid": "gap_srvgo", "secret": testSecret, "binds": []any{"127.0.0.1:0"}, "seeds": []any{"srv:" + name}}
	_, logger := NewLogSink()
	g, err := compat.ConfigureWith("", args, compat.Setup{Resolve: compat.ResolveOptions{NoRC: true}, Logger: logger,
		SRV: &node.SRVResolver{Server: d.Addr}})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	waitUp(t, g, "gap_srvseed")
	if _, err := g.DBSet("gap_srv", "from_go", nil); err != nil {
		t.Fatal(err)
	}
	ctx := timeout(t, 10*time.Second)
	for {
		id := perlSeed.do(map[string]any{"op": "db_keys", "family": "gap_srv"}).Str("id")
		keys := perlSeed.wait(ctx, "db_keys", Ev("db_keys", id)).Raw("result")
		if keys == `["from_go"]` {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the Perl seed never saw the Go node's key: %s", keys)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
