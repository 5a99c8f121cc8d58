package interop

// Operating a mixed mesh against real Perl: Perl's aemp trace and
// aemp-go trace map the same graph through Go and Perl nodes; a Perl
// LogCatcher prints a Go node's records and aemp-go logs a Perl node's; a
// Go node made global by the AnyEvent::MP::Global:: service answers
// `can g_find` as Perl does and serves Perl slaves.

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"slices"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

// startOpsAgent runs testdata/ops_agent.pl as the node spec describes.
func startOpsAgent(t testing.TB, spec Spec) *Agent {
	t.Helper()
	return startAgentScript(t, spec, "ops_agent.pl")
}

// toolHome is a home whose rc file gives the protocol commands (profile
// "aemp") the test secret and one seed, for aemp and aemp-go alike.
func toolHome(t testing.TB, seed string) *Home {
	t.Helper()
	h := emptyHome(t)
	rc, _ := json.Marshal(map[string]any{"version": 1, "secret": testSecret, "seeds": []string{seed}})
	if err := os.WriteFile(h.RC, rc, 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// traceEdges reads aemp trace's "node -> neighbours" lines into directed
// edges between the given nodes; other nodes (the tracing tools
// themselves), aemp's "seed" line and timeouts are left out.
func traceEdges(out string, mesh []string) []string {
	var edges []string
	for _, line := range strings.Split(out, "\n") {
		from, rest, ok := strings.Cut(line, " -> ")
		if !ok || !slices.Contains(mesh, from) {
			continue
		}
		for _, to := range strings.Fields(rest) {
			if slices.Contains(mesh, to) {
				edges = append(edges, from+" -> "+to)
			}
		}
	}
	sort.Strings(edges)
	return edges
}

// TestTraceMixedMesh: a Go seed, a Perl node behind it and a Go node
// behind that. Perl's aemp trace and aemp-go trace print the same graph.
func TestTraceMixedMesh(t *testing.T) {
	RequireAemp(t)
	addr := FreeAddr(t)
	seed, _ := goNode(t, node.Config{NodeID: "ops_seed", Binds: []string{addr}, Seeds: []string{addr}})
	p := startOpsAgent(t, Spec{NodeID: "ops_perl", Secret: testSecret, Seeds: []string{addr}})
	leaf, _ := goNode(t, node.Config{NodeID: "ops_leaf", Binds: []string{"127.0.0.1:0"}, Seeds: []string{p.Addr}})
	waitUp(t, seed, "ops_perl")
	waitUp(t, leaf, "ops_perl")
	mesh := []string{"ops_seed", "ops_perl", "ops_leaf"}
	want := []string{"ops_leaf -> ops_perl", "ops_perl -> ops_leaf", "ops_perl -> ops_seed", "ops_seed -> ops_perl"}

	h := toolHome(t, addr)
	perlOut, err := h.Aemp(timeout(t, 30*time.Second), t, "trace", "ops_seed")
	if err != nil {
		t.Fatalf("aemp trace: %v\n%s", err, perlOut)
	}
	goOut := runAempGo(t, h, "trace", "ops_seed").mustOK(t, "trace")
	t.Logf("aemp trace:\n%saemp-go trace:\n%s", perlOut, goOut)
	if got := traceEdges(perlOut, mesh); !reflect.DeepEqual(got, want) {
		t.Errorf("Perl's aemp trace found %q, want %q", got, want)
	}
	if got := traceEdges(goOut, mesh); !reflect.DeepEqual(got, want) {
		t.Errorf("aemp-go trace found %q, want %q", got, want)
	}
	dot := runAempGo(t, h, "trace", "--dot", "ops_seed").mustOK(t, "trace --dot")
	for _, e := range []string{`"ops_seed" -- "ops_perl";`, `"ops_perl" -- "ops_leaf";`} {
		if !strings.Contains(dot, e) {
			t.Errorf("trace --dot lacks %s:\n%s", e, dot)
		}
	}
}

// TestPerlLogCatcherGetsGoLogs: a Perl node running LogCatcher's catch
// logs the records of a Go node, as it logs a Perl node's.
func TestPerlLogCatcherGetsGoLogs(t *testing.T) {
	RequirePerl(t)
	addr := FreeAddr(t)
	g, _ := goNode(t, node.Config{NodeID: "ops_logseed", Binds: []string{addr}, Seeds: []string{addr}})
	c := startOpsAgent(t, Spec{NodeID: "ops_catcher", Secret: testSecret, Seeds: []string{addr}, Verbose: true})
	waitUp(t, g, "ops_catcher")
	c.Do(t, map[string]any{"op": "catch", "level": 9})
	ctx := timeout(t, 15*time.Second)
	// the Go node logs (debug) that it sends its records to the catcher
	line, err := c.WaitLine(ctx, true, "AempGo::Node: [ops_logseed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, "starting to propagate log messages to ops_catcher#") || !strings.Contains(line, " debug ") {
		t.Errorf("first Go record in the catcher's log: %q", line)
	}
	// a warning: an eval the Go node refuses
	c.Do(t, map[string]any{"op": "snd", "to": "ops_logseed", "msg": []any{"eval", "system 'id'"}})
	line, err = c.WaitLine(ctx, true, "remote execution not allowed")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(line, " warn  AempGo::Node: [ops_logseed") {
		t.Errorf("warning in the catcher's log: %q", line)
	}
}

// TestAempGoLogsPrintsPerlLogs: aemp-go logs collects a Perl node's
// records (its LogCatcher loads on demand).
func TestAempGoLogsPrintsPerlLogs(t *testing.T) {
	RequirePerl(t)
	addr := FreeAddr(t)
	goNode(t, node.Config{NodeID: "ops_lseed", Binds: []string{addr}, Seeds: []string{addr}})
	startOpsAgent(t, Spec{NodeID: "ops_lperl", Secret: testSecret, Seeds: []string{addr}})
	h := toolHome(t, addr)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aempGo(t), "logs", "--level", "debug")
	cmd.Env = h.Env()
	cmd.Dir = h.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cancel()
	sc := bufio.NewScanner(out)
	var seen []string
	for sc.Scan() {
		line := sc.Text()
		seen = append(seen, line)
		// LogCatcher.pm logs, at level 8, that it starts sending to us
		if strings.Contains(line, "AnyEvent::MP::LogCatcher: [ops_lperl") && strings.Contains(line, "starting to propagate log messages to aemp/") {
			if !strings.Contains(line, " debug ") {
				t.Errorf("level of %q", line)
			}
			return
		}
	}
	t.Fatalf("no record from the Perl node; aemp-go logs printed:\n%s", strings.Join(seen, "\n"))
}

// TestGlobalServiceByConfiguration: a profile whose services list
// AnyEvent::MP::Global:: makes a Go node global without being its own
// seed: a Perl node's `can g_find` gets "1" (and "" from a Go node
// without the service), and Perl slaves use it as their master.
func TestGlobalServiceByConfiguration(t *testing.T) {
	RequirePerl(t)
	perlSeed := startOpsAgent(t, Spec{NodeID: "ops_pseed", Secret: testSecret})
	gAddr := FreeAddr(t)
	args := map[string]any{"nodeid": "ops_global", "secret": testSecret, "binds": []any{gAddr},
		"seeds": []any{perlSeed.Addr}, "services": []any{compat.GlobalService}}
	sink, logger := NewLogSink()
	g, err := compat.ConfigureWith("", args, compat.Setup{Resolve: compat.ResolveOptions{NoRC: true}, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		g.Close()
		if t.Failed() {
			t.Logf("---- ops_global log ----\n  %s", strings.Join(sink.Lines(), "\n  "))
		}
	})
	plain, _ := goNode(t, node.Config{NodeID: "ops_plain", Binds: []string{"127.0.0.1:0"}, Seeds: []string{perlSeed.Addr}})
	waitUp(t, g, "ops_pseed")
	waitUp(t, plain, "ops_pseed")
	for who, want := range map[string]string{"ops_global": `["1"]`, "ops_plain": `[""]`} {
		id := perlSeed.Do(t, map[string]any{"op": "cal", "to": who, "msg": []any{"can", "g_find"}}).Str("id")
		if got := perlSeed.WaitEvent(t, timeout(t, 10*time.Second), "can reply", Ev("cal", id)).Raw("reply"); got != want {
			t.Errorf("can g_find on %s answered %s, want %s (as Perl)", who, got, want)
		}
	}

	// Perl slaves bind to it: one registers a port, the other finds it
	// through the database and sends to it (asking its master where the
	// first one listens)
	const family = "ops_glob"
	s1 := startGlobalAgent(t, Spec{NodeID: "ops_s1", Secret: testSecret, Seeds: []string{gAddr}})
	s2 := startGlobalAgent(t, Spec{NodeID: "ops_s2", Secret: testSecret, Seeds: []string{gAddr}})
	box := s1.newPort("inbox")
	s1.do(map[string]any{"op": "db_reg", "family": family, "port": box})
	mon := s2.do(map[string]any{"op": "db_mon_snd", "family": family, "msg": []any{"hello"}}).Str("id")
	ctx := timeout(t, 15*time.Second)
	if to := s2.wait(ctx, "s2 sending to s1's inbox", Ev("sent", mon)).Str("to"); to != box {
		t.Errorf("s2 sent to %s, want %s", to, box)
	}
	if got, want := s1.msg(ctx, "inbox"), `["hello","ops_s2"]`; got != want {
		t.Errorf("s1's inbox got %s, want %s", got, want)
	}
	keys, err := g.DBKeys(ctx, family)
	if err != nil || !reflect.DeepEqual(keys, []string{box}) {
		t.Errorf("the Go global's database: %q %v", keys, err)
	}
}
