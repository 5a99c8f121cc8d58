package interop

import (
	"context"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// Faults a real Perl mesh has and that aemp-go must survive (issue 9):
// here, a Perl node that hangs.

// stopped pauses a Perl node's process group (SIGSTOP) and returns the
// function that resumes it; it also resumes it at cleanup, so the harness
// can kill it.
func stopped(t *testing.T, p *Proc) (resume func()) {
	t.Helper()
	if err := syscall.Kill(-p.cmd.Process.Pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	done := false
	resume = func() {
		if !done {
			done = true
			syscall.Kill(-p.cmd.Process.Pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	return resume
}

// perlComplaints are the stderr lines in which a Perl node complains
// about a message it got.
func perlComplaints(p *Proc) []string {
	var out []string
	for _, l := range p.StderrLines() {
		if strings.Contains(l, "error processing node message") || strings.Contains(l, "'hb") {
			out = append(out, l)
		}
	}
	return out
}

// The heartbeat probe is a request Perl 2.02 answers without complaint:
// with a heartbeat far shorter than the idle time, the connection to a
// Perl node stays up and the Perl node, logging at every level
// (AE_VERBOSE=9), says nothing about the probes.
func TestPerlAnswersHeartbeat(t *testing.T) {
	perl := StartAgent(t, Spec{NodeID: "perl_hb", Secret: testSecret, Verbose: true})
	n, _ := goNode(t, node.Config{NodeID: "go_hb", Binds: []string{"127.0.0.1:0"}, Seeds: []string{perl.Addr},
		HeartbeatInterval: 100 * time.Millisecond, HeartbeatTimeout: time.Second})
	waitUp(t, n, "perl_hb")
	lost := make(chan []any, 1)
	if _, err := n.MonFunc("perl_hb#", func(r []any) { lost <- r }); err != nil {
		t.Fatal(err)
	}
	select {
	case r := <-lost:
		t.Fatalf("idle connection to the Perl node lost: %v", r)
	case <-time.After(3 * time.Second): // about 30 probes
	}
	if l := perlComplaints(perl.Proc); len(l) > 0 {
		t.Fatalf("the Perl node complained about the heartbeat:\n%s", strings.Join(l, "\n"))
	}
}

// A Perl node stopped with SIGSTOP keeps its sockets (the kernel even
// answers TCP keepalives for it), so only the heartbeat can tell. With the
// default settings a Go monitor hears a transport error within 45 s;
// after SIGCONT the mesh reconnects and a message round-trips.
func TestStoppedPerlNodeIsReportedAndRecovers(t *testing.T) {
	if testing.Short() {
		t.Skip("takes about 30 s: the default heartbeat (10 s + 15 s)")
	}
	perl := StartAgent(t, Spec{NodeID: "perl_stop", Secret: testSecret})
	n, _ := goNode(t, node.Config{NodeID: "go_stop", Binds: []string{"127.0.0.1:0"}, Seeds: []string{perl.Addr}})
	waitUp(t, n, "perl_stop")
	port := perl.NewPort(t, "p")
	reason := make(chan []any, 1)
	if _, err := n.MonFunc(port, func(r []any) { reason <- r }); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Cal(timeout(t, 10*time.Second), "perl_stop#", "time"); err != nil {
		t.Fatal(err)
	}

	resume := stopped(t, perl.Proc)
	start := time.Now()
	var got []any
	select {
	case got = <-reason:
	case <-time.After(50 * time.Second):
		t.Fatal("no transport error 50 s after the Perl node was stopped")
	}
	took := time.Since(start)
	t.Logf("stopped Perl node reported after %s: %v", took.Round(100*time.Millisecond), got)
	if len(got) != 3 || got[0] != "transport_error" || got[1] != "perl_stop" {
		t.Fatalf("reason %v, want [transport_error perl_stop ...]", got)
	}
	if took > 45*time.Second {
		t.Fatalf("reported after %s, want within 45 s", took)
	}
	if reason := got[2].(string); !strings.Contains(reason, "heartbeat") && !strings.Contains(reason, "stalled") {
		t.Errorf("reason %q names neither the heartbeat nor a write stall", reason)
	}

	resume()
	// the seed connection is retried; a new port on the resumed node
	// answers over the new connection
	ctx, cancel := context.WithTimeout(context.Background(), 40*time.Second)
	defer cancel()
	for !n.NodeIsUp("perl_stop") {
		if ctx.Err() != nil {
			t.Fatal("no reconnection within 40 s of SIGCONT")
		}
		time.Sleep(50 * time.Millisecond)
	}
	reply, err := n.Cal(timeout(t, 10*time.Second), "perl_stop#", "time")
	if err != nil {
		t.Fatalf("round trip after SIGCONT: %v", err)
	}
	checkTime(t, "resumed Perl node", reply)
	if !slices.Contains(n.UpNodes(), "perl_stop") {
		t.Fatal("Perl node not among the up nodes after reconnecting")
	}
}
