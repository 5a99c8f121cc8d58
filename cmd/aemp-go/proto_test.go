package main

import (
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// target starts a Go node "target" and points the rc file at it as the
// only seed.
func target(t *testing.T) *node.Node {
	t.Helper()
	n := startNode(t, node.Config{NodeID: "target"})
	rcFor(t, n.Binds()[0], testSecret)
	return n
}

func TestCalTime(t *testing.T) {
	target(t)
	r := mustAemp(t, "cal", "target", "time")
	// Like the fixture aemp-cal-time.log: one number, Perl's format.
	if !regexp.MustCompile(`^\d{10}(\.\d+)?\n$`).MatchString(r.stdout) {
		t.Errorf("cal time printed %q", r.stdout)
	}
}

func TestCalPortReplyFormat(t *testing.T) {
	n := target(t)
	p := n.NewPort(func(self *node.Port, args []any) {
		reply := args[len(args)-1].(string)
		self.Node().Snd(reply, args[:len(args)-1]...)
	})
	r := mustAemp(t, "cal", p.ID(), "a", `1`, `{"x":[1.5,null,true]}`, `"\u00e9"`)
	// "1" is a word, not JSON, so it stays a string, as in aemp.
	if want := `"a","1",{"x":[1.5,null,true]},"é"` + "\n"; r.stdout != want {
		t.Errorf("cal printed %q, want %q", r.stdout, want)
	}
	// One JSON array argument is the whole command line, numbers stay
	// numbers.
	r = mustAemp(t, `["cal","`+p.ID()+`",1,-2.5,"[x"]`)
	if want := `1,-2.5,"[x"` + "\n"; r.stdout != want {
		t.Errorf("cal printed %q, want %q", r.stdout, want)
	}
}

func TestCalRegisteredFunction(t *testing.T) {
	n := target(t)
	if err := startEcho(n, nil); err != nil {
		t.Fatal(err)
	}
	r := mustAemp(t, "cal", "target", echoFunc, "x", `[2]`)
	if r.stdout != "\"x\",[2]\n" {
		t.Errorf("cal printed %q", r.stdout)
	}
}

func TestCalDeadPortAndTimeout(t *testing.T) {
	n := target(t)
	r := aemp(t, "cal", "target#nosuch", "x")
	if r.code != exitNoReply || !strings.Contains(r.stderr, "no_such_port") {
		t.Errorf("cal to a missing port: %+v", r)
	}
	silent := n.NewPort(func(*node.Port, []any) {})
	start := time.Now()
	r = aemp(t, "--timeout", "300ms", "cal", silent.ID(), "x")
	if r.code != exitNoReply || !strings.Contains(r.stderr, "no reply") {
		t.Errorf("cal to a silent port: %+v", r)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}
}

func TestSnd(t *testing.T) {
	n := target(t)
	got := make(chan []any, 1)
	p := n.NewPort(func(_ *node.Port, args []any) { got <- args })
	r := mustAemp(t, "snd", p.ID(), "hello", `[1]`)
	if r.stdout != "message sent successfully \n" {
		t.Errorf("snd printed %q", r.stdout)
	}
	select {
	case args := <-got:
		if len(args) != 2 || args[0] != "hello" {
			t.Errorf("port got %v", args)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message never arrived")
	}
}

// mon waits for the kill and leaves the words after the port to the
// next command.
func TestMonAndChain(t *testing.T) {
	n := target(t)
	p := n.NewPort(func(*node.Port, []any) {})
	go func() {
		time.Sleep(300 * time.Millisecond)
		p.Kil("die", "boom")
	}()
	r := mustAemp(t, "mon", p.ID(), "showprofile", "none")
	if r.stdout != "die boom \n{}\n" {
		t.Errorf("mon printed %q", r.stdout)
	}
}

// A Go node never evaluates Perl: it answers the expressions of its
// allowlist (trace's up_nodes, "$$") and lets everything else time out.
func TestEvalAndTraceAgainstGoNode(t *testing.T) {
	n := target(t)
	r := aemp(t, "--timeout", "300ms", "eval", "target", "1+1")
	if r.code != exitNoReply || !strings.Contains(r.stderr, "a Go node answers only a few read-only expressions") {
		t.Errorf("eval: %+v", r)
	}
	if r := mustAemp(t, "eval", "target", "$$"); r.stdout != strconv.Itoa(os.Getpid())+"\n" {
		t.Errorf("eval $$: %+v", r)
	}
	// The eval commands' nodes have exited; the target notices when it
	// reads their connections' end, which on a loaded machine can come
	// after the trace's own node asks it for its up nodes.
	for deadline := time.Now().Add(10 * time.Second); len(n.UpNodes()) > 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("exited command nodes still up after 10 s: %v", n.UpNodes())
		}
	}
	start := time.Now()
	// a node timeout long enough for a loaded CI machine, short enough to
	// show that the flag is honoured (the default is 15 s per node)
	r = aemp(t, "trace", "--node-timeout", "2s", "target")
	if r.code != 0 || r.stdout != "seed -> target\ntarget -> \n" {
		t.Errorf("trace: %+v", r)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("--node-timeout ignored: trace took %v", d)
	}
}

func TestWrongSecret(t *testing.T) {
	n := startNode(t, node.Config{NodeID: "target"})
	rcFor(t, n.Binds()[0], "not-the-secret")
	for _, cmd := range [][]string{{"cal", "target", "time"}, {"snd", "target", "devnull"}, {"mon", "target#x"}} {
		r := aemp(t, cmd...)
		if r.code != exitConnect || !strings.Contains(r.stderr, "shared secret does not match") {
			t.Errorf("%q: exit %d stderr %q", cmd, r.code, r.stderr)
		}
	}
}

func TestNoSeeds(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"s"}`)
	r := aemp(t, "cal", "x", "time")
	if r.code != exitConnect || !strings.Contains(r.stderr, "no seeds configured") {
		t.Errorf("%+v", r)
	}
	r = aemp(t, "--seed", freeAddr(t), "cal", "x", "time")
	if r.code != exitConnect || !strings.Contains(r.stderr, "connection refused") {
		t.Errorf("--seed to a closed port: %+v", r)
	}
}

// A node that is not a seed is found through the seed (g_find), as
// aemp finds it through its master.
func TestFindNodeThroughSeed(t *testing.T) {
	addr := freeAddr(t)
	startNode(t, node.Config{NodeID: "seed", Binds: []string{addr}, Seeds: []string{addr}})
	startNode(t, node.Config{NodeID: "other", Seeds: []string{addr}})
	rcFor(t, addr, testSecret)
	// The other node registers with the seed asynchronously.
	deadline := time.Now().Add(10 * time.Second)
	var r result
	for time.Now().Before(deadline) {
		if r = aemp(t, "--timeout", "2s", "cal", "other", "time"); r.code == 0 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if r.code != 0 {
		t.Fatalf("cal other time through the seed: %+v", r)
	}
	r = aemp(t, "cal", "nobody", "time")
	if r.code != exitConnect || !strings.Contains(r.stderr, "no known address") {
		t.Errorf("unknown node: %+v", r)
	}
}

// PERL_ANYEVENT_MP_TRACE prints the fixture's SND/RCV lines.
func TestTraceEnv(t *testing.T) {
	target(t)
	t.Setenv("AE_MP_TRACE", "1")
	r := mustAemp(t, "cal", "target", "time")
	if !regexp.MustCompile(`(?m)^SND target <- \[null,"time","aemp/[^/]+/\w{10}#b"\]$`).MatchString(r.stderr) ||
		!regexp.MustCompile(`(?m)^RCV target -> \["b",\d+`).MatchString(r.stderr) {
		t.Errorf("trace lines missing:\n%s", r.stderr)
	}
}
