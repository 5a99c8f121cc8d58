package interop

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// topology is how a Go node and a Perl node (testdata/agent.pl) meet.
type topology struct {
	name      string
	perlDials bool     // Perl has the Go node as its seed; else Go has the Perl node as its seed
	perlFrame []string // Perl's framing_format
	goFrame   []string // node.Config.Framings
}

var topologies = []topology{
	// Go joins a Perl seed, as a slave; CBOR both ways (both defaults)
	{name: "GoDialsPerl_CBOR"},
	// Perl joins a Go seed (which becomes global); JSON both ways
	{name: "PerlDialsGo_JSON", perlDials: true, perlFrame: []string{"json"}, goFrame: []string{"json"}},
}

// kenv is a connected pair of a Go node and a Perl agent node.
type kenv struct {
	tp   topology
	n    *node.Node
	logs *LogSink
	perl *Agent
}

func (e *kenv) goID() string   { return e.n.ID() }
func (e *kenv) perlID() string { return e.perl.NodeID }

func setupKernel(t *testing.T, tp topology, tag string) *kenv {
	t.Helper()
	goID, perlID := "go_"+tag, "perl_"+tag
	e := &kenv{tp: tp}
	if tp.perlDials {
		e.n, e.logs = goNode(t, node.Config{NodeID: goID, Binds: []string{"127.0.0.1:0"}, Framings: tp.goFrame})
		e.perl = StartAgent(t, Spec{NodeID: perlID, Secret: testSecret, Framings: tp.perlFrame, Seeds: e.n.Binds(), Trace: true})
	} else {
		e.perl = StartAgent(t, Spec{NodeID: perlID, Secret: testSecret, Framings: tp.perlFrame, Trace: true})
		e.n, e.logs = goNode(t, node.Config{NodeID: goID, Binds: []string{"127.0.0.1:0"}, Framings: tp.goFrame,
			Seeds: []string{e.perl.Addr}})
	}
	waitUp(t, e.n, perlID)
	e.perl.WaitEvent(t, timeout(t, 10*time.Second), "node-up of "+goID, func(ev Event) bool {
		return ev.Str("ev") == "node" && ev.Str("node") == goID && ev.Str("up") == "up"
	})
	return e
}

// goPort makes a Go port that reports every message on the returned
// channel and understands the same tags as agent.pl's test ports:
// ["echo", args..., reply], ["silent", ...], ["die", msg].
func goPort(n *node.Node) (*node.Port, chan []any) {
	ch := make(chan []any, 100)
	p := n.NewPort(func(self *node.Port, m []any) {
		ch <- m
		tag, _ := m[0].(string)
		switch tag {
		case "echo":
			reply, _ := m[len(m)-1].(string)
			n.Snd(reply, append([]any{"echo"}, m[1:len(m)-1]...)...)
		case "die":
			panic(fmt.Sprint(m[1]))
		}
	})
	return p, ch
}

// jsonText is what Perl's canonical JSON::XS prints for v (Go's
// encoder without HTML escaping gives the same text for these values).
func jsonText(t testing.TB, v any) string {
	t.Helper()
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// reasonOf waits for the agent's monitor id to fire and returns its
// reason as JSON text.
func (a *Agent) reasonOf(t testing.TB, id string) string {
	t.Helper()
	return a.WaitEvent(t, timeout(t, 10*time.Second), "Perl monitor "+id, Ev("mon", id)).Raw("reason")
}

// goMon monitors port from Go; the reason arrives on the channel.
func goPortMon(t testing.TB, n *node.Node, port string) chan []any {
	t.Helper()
	ch := make(chan []any, 1)
	if _, err := n.MonFunc(port, func(r []any) { ch <- r }); err != nil {
		t.Fatal(err)
	}
	return ch
}

func checkReason(t testing.TB, who string, got, want []any) {
	t.Helper()
	if len(want) == 0 && len(got) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s reason %#v, want %#v", who, got, want)
	}
}

// unboundedCtx is a context without a deadline (so that Cal monitors
// instead of timing out) that still ends after d.
func unboundedCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	tm := time.AfterFunc(d, cancel)
	t.Cleanup(func() { tm.Stop(); cancel() })
	return ctx
}

func TestKernel(t *testing.T) {
	RequirePerl(t)
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			t.Parallel()
			e := setupKernel(t, tp, "k"+strings.ToLower(tp.name[:2]))
			t.Run("Snd", e.testSnd)
			t.Run("MonKil", e.testMonKil)
			t.Run("Die", e.testDie)
			t.Run("MonNoSuchPort", e.testMonNoSuchPort)
			t.Run("Unmonitor", e.testUnmonitor)
			t.Run("Spawn", e.testSpawn)
			t.Run("Cal", e.testCal)
			t.Run("TimeCan", e.testTimeCan)
		})
	}
}

func (e *kenv) testSnd(t *testing.T) {
	big := strings.Repeat("0123456789", 20000) // 200 KB: many TCP segments, one message
	msgs := [][]any{
		{"test", 123, "payload-string-0123456789"},
		{"test", -7, 1.5, "unicode: äöü €", []any{1, []any{2, "x"}}, map[string]any{"k": "v", "n": nil}, nil},
		{"big", big},
		{"last"},
	}
	// what Go decodes from Perl for the same values
	goValues := [][]any{
		{"test", int64(123), "payload-string-0123456789"},
		{"test", int64(-7), 1.5, "unicode: äöü €", []any{int64(1), []any{int64(2), "x"}}, map[string]any{"k": "v", "n": nil}, nil},
		{"big", big},
		{"last"},
	}
	t.Run("GoToPerl", func(t *testing.T) {
		rec := e.perl.NewPort(t, "snd_rec")
		for _, m := range msgs {
			if err := e.n.Snd(rec, m...); err != nil {
				t.Fatal(err)
			}
		}
		ctx := timeout(t, 10*time.Second)
		for i, m := range msgs { // in order
			if got, want := e.perl.Msg(t, ctx, "snd_rec"), jsonText(t, m); got != want {
				t.Errorf("message %d: Perl got %.200s, want %.200s", i, got, want)
			}
		}
	})
	t.Run("PerlToGo", func(t *testing.T) {
		p, ch := goPort(e.n)
		for _, m := range msgs {
			e.perl.Do(t, map[string]any{"op": "snd", "to": p.ID(), "msg": m})
		}
		for i, want := range goValues {
			if got := recv(t, ch, "message from Perl"); !reflect.DeepEqual(got, want) {
				t.Errorf("message %d: Go got %.200v, want %.200v", i, got, want)
			}
		}
	})
}

func (e *kenv) testMonKil(t *testing.T) {
	for i, reason := range [][]any{{"custom_reason", "killed from the other side"}, {}} {
		t.Run(fmt.Sprintf("GoKillsPerlPort%d", i), func(t *testing.T) {
			pp := e.perl.NewPort(t, "victim")
			e.perl.Do(t, map[string]any{"op": "mon", "id": "local", "port": pp})
			goR := goPortMon(t, e.n, pp)
			if err := e.n.Kil(pp, reason...); err != nil {
				t.Fatal(err)
			}
			if got, want := e.perl.reasonOf(t, "local"), jsonText(t, reason); got != want {
				t.Errorf("Perl's own monitor got reason %s, want %s", got, want)
			}
			checkReason(t, "Go's monitor of the Perl port", recv(t, goR, "Go monitor"), reason)
		})
		t.Run(fmt.Sprintf("PerlKillsGoPort%d", i), func(t *testing.T) {
			gp, _ := goPort(e.n)
			goR := goPortMon(t, e.n, gp.ID())
			e.perl.Do(t, map[string]any{"op": "mon", "id": "remote", "port": gp.ID()})
			e.perl.Do(t, map[string]any{"op": "kil", "port": gp.ID(), "reason": reason})
			checkReason(t, "Go's own monitor", recv(t, goR, "Go monitor"), reason)
			if got, want := e.perl.reasonOf(t, "remote"), jsonText(t, reason); got != want {
				t.Errorf("Perl's monitor of the Go port got reason %s, want %s", got, want)
			}
			if gp.Alive() {
				t.Error("Go port survived Perl's kil")
			}
		})
	}
}

// testDie: a handler that dies kills its port with ["die", msg], and a
// monitor on the other node sees that.
func (e *kenv) testDie(t *testing.T) {
	t.Run("PerlPortDies", func(t *testing.T) {
		pp := e.perl.NewPort(t, "dier")
		goR := goPortMon(t, e.n, pp)
		e.n.Snd(pp, "die", "perl handler died")
		checkReason(t, "Go's monitor", recv(t, goR, "Go monitor"), []any{"die", "perl handler died"})
	})
	t.Run("GoPortDies", func(t *testing.T) {
		gp, _ := goPort(e.n)
		e.perl.Do(t, map[string]any{"op": "mon", "id": "godie", "port": gp.ID()})
		e.perl.Do(t, map[string]any{"op": "snd", "to": gp.ID(), "msg": []any{"die", "go handler died"}})
		if got := e.perl.reasonOf(t, "godie"); got != `["die","go handler died"]` {
			t.Errorf("Perl's monitor got %s", got)
		}
	})
}

func (e *kenv) testMonNoSuchPort(t *testing.T) {
	t.Run("GoMonitorsPerl", func(t *testing.T) {
		port := e.perlID() + "#nosuchport"
		got := recv(t, goPortMon(t, e.n, port), "no_such_port")
		checkReason(t, "Go's monitor", got, []any{"no_such_port", "cannot monitor nonexistent port", port})
	})
	t.Run("PerlMonitorsGo", func(t *testing.T) {
		port := e.goID() + "#nosuchport"
		e.perl.Do(t, map[string]any{"op": "mon", "id": "nosuch", "port": port})
		if got, want := e.perl.reasonOf(t, "nosuch"), jsonText(t, []any{"no_such_port", "cannot monitor nonexistent port", port}); got != want {
			t.Errorf("Perl's monitor got %s, want %s", got, want)
		}
	})
}

// testUnmonitor: a stopped monitor (mon0 to the other node) does not
// fire when the port is killed later.
func (e *kenv) testUnmonitor(t *testing.T) {
	t.Run("Go", func(t *testing.T) {
		pp := e.perl.NewPort(t, "unmon_target")
		fired := make(chan []any, 1)
		g, err := e.n.MonFunc(pp, func(r []any) { fired <- r })
		if err != nil {
			t.Fatal(err)
		}
		g.Stop()
		e.perl.Do(t, map[string]any{"op": "mon", "id": "unmon_local", "port": pp})
		e.n.Kil(pp, "after_unmonitor")
		if got := e.perl.reasonOf(t, "unmon_local"); got != `["after_unmonitor"]` {
			t.Fatalf("Perl's monitor got %s", got)
		}
		// a round trip after the kil: a kil0 for us would have come first
		if _, err := e.n.Cal(timeout(t, 5*time.Second), e.perlID(), "time"); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-fired:
			t.Errorf("stopped Go monitor fired with %#v", r)
		default:
		}
		// Perl's trace shows that Go told it to stop (mon0)
		mon0 := fmt.Sprintf(`RCV %s -> ["","mon0","%s"]`, e.goID(), portName(pp))
		if _, err := e.perl.WaitLine(timeout(t, 5*time.Second), true, mon0); err != nil {
			t.Error(err)
		}
	})
	t.Run("Perl", func(t *testing.T) {
		gp, _ := goPort(e.n)
		e.perl.Do(t, map[string]any{"op": "mon", "id": "unmon_remote", "port": gp.ID()})
		e.perl.Do(t, map[string]any{"op": "unmon", "id": "unmon_remote"})
		e.perl.Do(t, map[string]any{"op": "kil", "port": gp.ID(), "reason": []any{"after_unmonitor"}})
		e.perl.Do(t, map[string]any{"op": "cal", "id": "unmon_sync", "to": e.goID(), "msg": []any{"time"}, "timeout": 5})
		e.perl.WaitEvent(t, timeoutCtx(t), "sync", Ev("cal", "unmon_sync"))
		if gp.Alive() {
			t.Fatal("Go port survived Perl's kil")
		}
		if ev, err := e.perl.waitEvent(timeout(t, 50*time.Millisecond), Ev("mon", "unmon_remote")); err == nil {
			t.Errorf("stopped Perl monitor fired: %v", ev)
		}
		// Go got Perl's mon0: it sent no kil0 for the port (Perl traces
		// every message it receives)
		kil0 := fmt.Sprintf(`"kil0","%s"`, portName(gp.ID()))
		for _, l := range e.perl.StderrLines() {
			if strings.Contains(l, kil0) {
				t.Errorf("Go sent kil0 after Perl's mon0: %s", l)
			}
		}
	})
}

func (e *kenv) testSpawn(t *testing.T) {
	// an init function the other node does not have: the port never
	// exists, so monitoring it says no_such_port
	t.Run("UnknownFunctionGoToPerl", func(t *testing.T) {
		sp, err := e.n.Spawn(e.perlID(), "No::Such::init", 1)
		if err != nil {
			t.Fatal(err)
		}
		checkReason(t, "Go's monitor", recv(t, goPortMon(t, e.n, sp), "monitor"),
			[]any{"no_such_port", "cannot monitor nonexistent port", sp})
	})
	t.Run("UnknownFunctionPerlToGo", func(t *testing.T) {
		sp := e.perl.Do(t, map[string]any{"op": "spawn", "node": e.goID(), "func": "No::Such::init", "args": []any{1}}).Str("port")
		e.perl.Do(t, map[string]any{"op": "mon", "id": "nosuchinit", "port": sp})
		if got, want := e.perl.reasonOf(t, "nosuchinit"), jsonText(t, []any{"no_such_port", "cannot monitor nonexistent port", sp}); got != want {
			t.Errorf("Perl's monitor got %s, want %s", got, want)
		}
	})
	t.Run("GoToPerl", func(t *testing.T) {
		rp, ch := goPort(e.n)
		sp, err := e.n.Spawn(e.perlID(), "::echo_init", rp.ID(), "extra", 7)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(sp, e.perlID()+"#") {
			t.Fatalf("spawned port %q is not on %s", sp, e.perlID())
		}
		goR := goPortMon(t, e.n, sp)
		e.n.Snd(sp, "hello", 1)
		init := e.perl.WaitEvent(t, timeout(t, 10*time.Second), "spawn_init", Ev("spawn_init", ""))
		if init.Str("port") != sp || init.Raw("args") != jsonText(t, []any{rp.ID(), "extra", 7}) {
			t.Errorf("Perl's init function ran as %s with %s", init.Str("port"), init.Raw("args"))
		}
		checkReason(t, "echo", recv(t, ch, "echo from the spawned port"), []any{"spawned_echo", sp, "hello", int64(1)})
		e.n.Kil(sp, "done", "x")
		checkReason(t, "Go's monitor of the spawned port", recv(t, goR, "monitor"), []any{"done", "x"})
	})
	t.Run("PerlToGo", func(t *testing.T) {
		type call struct {
			self string
			args []any
		}
		inits := make(chan call, 1)
		e.n.Register("Test::Echo::init", func(self *node.Port, args []any) {
			reply, _ := args[0].(string)
			inits <- call{self.ID(), args}
			self.Default(func(self *node.Port, m []any) {
				e.n.Snd(reply, append([]any{"go_echo", self.ID()}, m...)...)
			})
		})
		rp := e.perl.NewPort(t, "spawn_rec")
		sp := e.perl.Do(t, map[string]any{"op": "spawn", "node": e.goID(), "func": "Test::Echo::init",
			"args": []any{rp, "extra", 7}}).Str("port")
		if !strings.HasPrefix(sp, e.goID()+"#") {
			t.Fatalf("Perl's spawn returned %q, not a port on %s", sp, e.goID())
		}
		c := recv(t, inits, "Go init function")
		if c.self != sp || !reflect.DeepEqual(c.args, []any{rp, "extra", int64(7)}) {
			t.Errorf("Go init function ran as %s with %#v", c.self, c.args)
		}
		e.perl.Do(t, map[string]any{"op": "snd", "to": sp, "msg": []any{"hello", 1}})
		if got, want := e.perl.Msg(t, timeout(t, 10*time.Second), "spawn_rec"), jsonText(t, []any{"go_echo", sp, "hello", 1}); got != want {
			t.Errorf("Perl got %s, want %s", got, want)
		}
		e.perl.Do(t, map[string]any{"op": "mon", "id": "spawned", "port": sp})
		e.perl.Do(t, map[string]any{"op": "kil", "port": sp, "reason": []any{"done"}})
		if got := e.perl.reasonOf(t, "spawned"); got != `["done"]` {
			t.Errorf("Perl's monitor of the spawned Go port got %s", got)
		}
	})
}

func (e *kenv) testCal(t *testing.T) {
	t.Run("GoToPerl", func(t *testing.T) {
		pp := e.perl.NewPort(t, "cal_target")
		want := []any{"echo", int64(1), "two"}
		// without a timeout: Cal monitors the port
		reply, err := e.n.Cal(unboundedCtx(t, 10*time.Second), pp, "echo", 1, "two")
		if err != nil || !reflect.DeepEqual(reply, want) {
			t.Errorf("Cal without timeout: %#v, %v", reply, err)
		}
		reply, err = e.n.Cal(timeout(t, 5*time.Second), pp, "echo", 1, "two")
		if err != nil || !reflect.DeepEqual(reply, want) {
			t.Errorf("Cal with timeout: %#v, %v", reply, err)
		}
		start := time.Now()
		reply, err = e.n.Cal(timeout(t, 300*time.Millisecond), pp, "silent")
		if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) < 250*time.Millisecond {
			t.Errorf("Cal to a silent port: %#v, %v after %v; want DeadlineExceeded after 300ms", reply, err, time.Since(start))
		}
		// the port died instead of replying: Cal without timeout learns why
		dier := e.perl.NewPort(t, "cal_dier")
		_, err = e.n.Cal(unboundedCtx(t, 10*time.Second), dier, "die", "no reply for you")
		var pd *node.PortDiedError
		if !errors.As(err, &pd) || !reflect.DeepEqual(pd.Reason, []any{"die", "no reply for you"}) {
			t.Errorf("Cal to a dying port: %v, want PortDiedError with [die, no reply for you]", err)
		}
	})
	t.Run("PerlToGo", func(t *testing.T) {
		gp, _ := goPort(e.n)
		cal := func(id string, timeout any, msg ...any) Event {
			e.perl.Do(t, map[string]any{"op": "cal", "id": id, "to": gp.ID(), "msg": msg, "timeout": timeout})
			return e.perl.WaitEvent(t, timeoutCtx(t), "cal reply "+id, Ev("cal", id))
		}
		if got := cal("notimeout", nil, "echo", 1, "two").Raw("reply"); got != `["echo",1,"two"]` {
			t.Errorf("Perl cal without timeout got %s", got)
		}
		if got := cal("timeout", 5, "echo", 1, "two").Raw("reply"); got != `["echo",1,"two"]` {
			t.Errorf("Perl cal with timeout got %s", got)
		}
		ev := cal("silent", 0.3, "silent")
		el, _ := strconv.ParseFloat(ev.Raw("elapsed"), 64)
		if ev.Raw("reply") != `[]` || el < 0.29 {
			t.Errorf("Perl cal to a silent Go port: %s after %.3fs, want [] after 0.3s", ev.Raw("reply"), el)
		}
		// without timeout Perl's cal monitors the Go port: its death ends
		// the call (Perl calls back with no arguments)
		if got := cal("die", nil, "die", "no reply").Raw("reply"); got != `[]` {
			t.Errorf("Perl cal to a dying Go port got %s, want []", got)
		}
		if gp.Alive() {
			t.Error("Go port survived its handler's panic")
		}
	})
}

// portName is the part of a port ID after "#".
func portName(id string) string {
	_, name, _ := strings.Cut(id, "#")
	return name
}

func perlBool(b bool) string {
	if b {
		return "1"
	}
	return ""
}

func timeoutCtx(t testing.TB) context.Context { return timeout(t, 10*time.Second) }

func (e *kenv) testTimeCan(t *testing.T) {
	t.Run("GoToPerl", func(t *testing.T) {
		ctx := timeout(t, 10*time.Second)
		reply, err := e.n.Cal(ctx, e.perlID(), "time")
		if err != nil {
			t.Fatal(err)
		}
		checkTime(t, "Perl", reply)
		// g_find is a request of global nodes only: Perl is global when it
		// is the seed
		gFind := perlBool(!e.tp.perlDials)
		for req, want := range map[string]string{"time": "1", "can": "1", "kil1": "1", "g_find": gFind, "nosuchreq": ""} {
			reply, err := e.n.Cal(ctx, e.perlID(), "can", req)
			if err != nil || !reflect.DeepEqual(reply, []any{want}) {
				t.Errorf("can %s: Perl replied %#v, %v; want [%q]", req, reply, err, want)
			}
		}
	})
	t.Run("PerlToGo", func(t *testing.T) {
		cal := func(msg ...any) string {
			id := jsonText(t, msg)
			e.perl.Do(t, map[string]any{"op": "cal", "id": id, "to": e.goID(), "msg": msg, "timeout": 5})
			return e.perl.WaitEvent(t, timeoutCtx(t), "cal reply", Ev("cal", id)).Raw("reply")
		}
		var tm []float64
		if err := json.Unmarshal([]byte(cal("time")), &tm); err != nil || len(tm) != 1 {
			t.Fatalf("Perl cal time to Go: %v %v", tm, err)
		}
		if now := float64(time.Now().UnixMicro()) / 1e6; tm[0] < now-60 || tm[0] > now+60 {
			t.Errorf("Go's time %f is not now %f", tm[0], now)
		}
		gFind := jsonText(t, []string{perlBool(e.tp.perlDials)}) // Go is global when it is the seed
		for req, want := range map[string]string{"time": `["1"]`, "can": `["1"]`, "kil1": `["1"]`, "g_find": gFind, "nosuchreq": `[""]`} {
			if got := cal("can", req); got != want {
				t.Errorf("Perl cal can %s to Go: %s, want %s", req, got, want)
			}
		}
	})
}

// TestPerlProcessDeath: when the Perl process dies, every Go monitor of
// its ports fires with a transport error, pending cals end, and the node
// is reported down.
func TestPerlProcessDeath(t *testing.T) {
	RequirePerl(t)
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			t.Parallel()
			e := setupKernel(t, tp, "d"+strings.ToLower(tp.name[:2]))
			down := make(chan []any, 4)
			e.n.MonNodes(func(id string, up bool, reason []any) {
				if id == e.perlID() && !up {
					down <- reason
				}
			})
			p1, p2 := e.perl.NewPort(t, "victim1"), e.perl.NewPort(t, "victim2")
			m1, m2 := goPortMon(t, e.n, p1), goPortMon(t, e.n, p2)
			calErr := make(chan error, 1)
			go func() {
				_, err := e.n.Cal(unboundedCtx(t, 10*time.Second), p2, "silent")
				calErr <- err
			}()
			e.perl.Msg(t, timeout(t, 10*time.Second), "victim2") // the cal arrived, so its mon1 did too
			e.perl.Kill()
			for i, ch := range []chan []any{m1, m2} {
				r := recv(t, ch, "monitor after Perl died")
				if len(r) != 3 || r[0] != "transport_error" || r[1] != e.perlID() {
					t.Errorf("monitor %d: reason %#v, want [transport_error %s <message>]", i, r, e.perlID())
				}
			}
			var pd *node.PortDiedError
			if err := recv(t, calErr, "Cal end"); !errors.As(err, &pd) || len(pd.Reason) == 0 || pd.Reason[0] != "transport_error" {
				t.Errorf("pending Cal: %v, want PortDiedError with transport_error", err)
			}
			if r := recv(t, down, "node down"); len(r) == 0 || r[0] != "transport_error" {
				t.Errorf("node down reason %#v", r)
			}
		})
	}
}

// TestGoNodeClose: closing the Go node makes Perl's monitors of its ports
// fire with a transport error, and Perl sees the node go down.
func TestGoNodeClose(t *testing.T) {
	RequirePerl(t)
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			t.Parallel()
			e := setupKernel(t, tp, "c"+strings.ToLower(tp.name[:2]))
			gp, _ := goPort(e.n)
			e.perl.Do(t, map[string]any{"op": "mon", "id": "goport", "port": gp.ID()})
			// a round trip makes sure Go has the monitor (mon1) before it closes
			e.perl.Do(t, map[string]any{"op": "cal", "id": "sync", "to": gp.ID(), "msg": []any{"echo"}, "timeout": 5})
			e.perl.WaitEvent(t, timeoutCtx(t), "sync", Ev("cal", "sync"))
			e.n.Close()
			var reason []any
			json.Unmarshal([]byte(e.perl.reasonOf(t, "goport")), &reason)
			if len(reason) != 3 || reason[0] != "transport_error" || reason[1] != e.goID() {
				t.Errorf("Perl's monitor got %#v, want [transport_error %s <message>]", reason, e.goID())
			}
			ev := e.perl.WaitEvent(t, timeoutCtx(t), "node down", func(ev Event) bool {
				return ev.Str("ev") == "node" && ev.Str("node") == e.goID() && ev.Str("up") == "down"
			})
			t.Logf("Perl saw %s go down: %s; its monitor got %v", e.goID(), ev.Raw("reason"), reason)
		})
	}
}
