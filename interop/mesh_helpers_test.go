package interop

// Helpers of global_test.go and tutorial_test.go: Perl nodes running
// testdata/global_agent.pl, database watchers on both sides, a collector
// for a Go node's trace lines, and plain processes (the tutorial programs)
// whose output is read line by line.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"

	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// visibleWithin is how fast a database change must reach a monitor on
// another node of the mesh.
const visibleWithin = time.Second

// meshSecret is the shared secret of the meshes in global_test.go and
// tutorial_test.go.
const meshSecret = "mesh-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// meshGoNode is goNode with the mesh tests' secret.
func meshGoNode(t testing.TB, cfg node.Config) (*node.Node, *LogSink) {
	t.Helper()
	if cfg.Secret == "" {
		cfg.Secret = meshSecret
	}
	return goNode(t, cfg)
}

// meshAgent is a Perl node running testdata/global_agent.pl: commands go
// in as JSON lines, each answered by a "done" or "error" event with the
// command's id.
type meshAgent struct {
	*Proc
	t   testing.TB
	mu  sync.Mutex
	seq int
}

// startGlobalAgent runs testdata/global_agent.pl as the node spec
// describes and waits until it is ready.
func startGlobalAgent(t testing.TB, spec Spec) *meshAgent {
	t.Helper()
	if spec.Secret == "" {
		spec.Secret = meshSecret
	}
	script, err := os.ReadFile(filepath.Join("testdata", "global_agent.pl"))
	if err != nil {
		t.Fatal(err)
	}
	a := &meshAgent{Proc: StartScript(t, spec, string(script)), t: t}
	a.wait(timeout(t, StartTimeout), "ready", Ev("ready", ""))
	return a
}

// wait waits for the first unconsumed event that matches.
func (a *meshAgent) wait(ctx context.Context, what string, match func(Event) bool) Event {
	a.t.Helper()
	return a.WaitEvent(a.t, ctx, what, match)
}

// do runs one command and returns its "done" event.
func (a *meshAgent) do(cmd map[string]any) Event {
	a.t.Helper()
	a.mu.Lock()
	a.seq++
	id := fmt.Sprintf("m%d", a.seq)
	a.mu.Unlock()
	cmd["id"] = id
	a.Send(a.t, cmd)
	ev := a.wait(timeout(a.t, 10*time.Second), fmt.Sprintf("reply to %v", cmd), func(e Event) bool {
		return e.Str("id") == id && (e.Str("ev") == "done" || e.Str("ev") == "error")
	})
	if ev.Str("ev") == "error" {
		a.t.Fatalf("Perl node %s: command %v failed: %s", a.Name, cmd, ev.Str("error"))
	}
	return ev
}

// newPort makes a port that reports its messages as "msg" events.
func (a *meshAgent) newPort(name string) string {
	a.t.Helper()
	return a.do(map[string]any{"op": "port", "name": name}).Str("port")
}

// msg waits for the next message on the port called name and returns its
// data as Perl's canonical JSON.
func (a *meshAgent) msg(ctx context.Context, name string) string {
	a.t.Helper()
	return a.wait(ctx, "message on Perl port "+name, func(e Event) bool {
		return e.Str("ev") == "msg" && e.Str("name") == name
	}).Raw("data")
}

// meshSameSet reports whether a and b hold the same strings, in any order.
func meshSameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	sort.Strings(a)
	sort.Strings(b)
	return slices.Equal(a, b)
}

// meshStrings turns a decoded JSON array into strings.
func meshStrings(l []any) []string {
	out := make([]string, 0, len(l))
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// perlWatch is a db_mon on a Perl agent. Its calls are consumed in order,
// so an old state is never mistaken for a new one.
type perlWatch struct {
	a      *meshAgent
	id     string
	family string
	last   Event
}

// perlMon starts db_mon on a Perl agent and waits for its first call (the
// family's contents, once the agent has a master).
func perlMon(t testing.TB, a *meshAgent, family string) *perlWatch {
	t.Helper()
	id := a.do(map[string]any{"op": "db_mon", "family": family}).Str("id")
	w := &perlWatch{a: a, id: id, family: family}
	w.last = a.wait(timeout(t, 10*time.Second), "first db_mon call on "+family, Ev("dbmon", id))
	return w
}

// keys returns the keys of the last state seen.
func (w *perlWatch) keys() []string {
	if w.last == nil {
		return nil
	}
	return meshStrings(w.last.List("keys"))
}

// lastDelta returns the added, changed and deleted keys of the last call.
func (w *perlWatch) lastDelta() [3][]string {
	return [3][]string{meshStrings(w.last.List("added")), meshStrings(w.last.List("changed")), meshStrings(w.last.List("deleted"))}
}

// waitKeys consumes db_mon calls until the family's keys are want (any
// order); it fails the test when ctx ends first.
func (w *perlWatch) waitKeys(ctx context.Context, want []string, what string) Event {
	w.a.t.Helper()
	for !meshSameSet(w.keys(), want) {
		w.last = w.a.wait(ctx, fmt.Sprintf("%s: db_mon %s on %s with keys %v (last seen %v)", what, w.family, w.a.Name, want, w.keys()),
			Ev("dbmon", w.id))
	}
	return w.last
}

// waitContains consumes db_mon calls until key is present.
func (w *perlWatch) waitContains(ctx context.Context, key, what string) Event {
	w.a.t.Helper()
	for !slices.Contains(w.keys(), key) {
		w.last = w.a.wait(ctx, fmt.Sprintf("%s: db_mon %s on %s containing %v (last seen %v)", what, w.family, w.a.Name, key, w.keys()),
			Ev("dbmon", w.id))
	}
	return w.last
}

// goWatch is a DBMon on a Go node; it keeps a copy of the latest state.
type goWatch struct {
	family string
	guard  *node.Guard
	mu     sync.Mutex
	calls  int
	state  map[string]any
	delta  [3][]string // added, changed, deleted of the last call
	change chan struct{}
}

// goMon starts DBMon on n and waits for its first call.
func goMon(t testing.TB, n *node.Node, family string) *goWatch {
	t.Helper()
	w := &goWatch{family: family, change: make(chan struct{})}
	w.guard = n.DBMon(family, func(db map[string]any, added, changed, deleted []string) {
		cp := make(map[string]any, len(db))
		for k, v := range db {
			cp[k] = v
		}
		w.mu.Lock()
		w.calls++
		w.state = cp
		w.delta = [3][]string{slices.Clone(added), slices.Clone(changed), slices.Clone(deleted)}
		close(w.change)
		w.change = make(chan struct{})
		w.mu.Unlock()
	})
	t.Cleanup(w.guard.Stop)
	if err := w.wait(timeout(t, 10*time.Second), func(map[string]any) bool { return true }); err != nil {
		t.Fatalf("Go node %s: no first DBMon call for %s: %v", n.ID(), family, err)
	}
	return w
}

func (w *goWatch) snapshot() (map[string]any, []string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	keys := make([]string, 0, len(w.state))
	for k := range w.state {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return w.state, keys
}

// lastDelta returns the added, changed and deleted keys of the last call.
func (w *goWatch) lastDelta() [3][]string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.delta
}

// wait waits until the monitor has been called and ok accepts the state.
func (w *goWatch) wait(ctx context.Context, ok func(map[string]any) bool) error {
	for {
		w.mu.Lock()
		st, calls, ch := w.state, w.calls, w.change
		w.mu.Unlock()
		if calls > 0 && ok(st) {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// waitKeys waits until the family's keys are want (any order).
func (w *goWatch) waitKeys(t testing.TB, ctx context.Context, want []string, what string) map[string]any {
	t.Helper()
	err := w.wait(ctx, func(st map[string]any) bool {
		keys := make([]string, 0, len(st))
		for k := range st {
			keys = append(keys, k)
		}
		return meshSameSet(keys, want)
	})
	st, keys := w.snapshot()
	if err != nil {
		t.Fatalf("%s: Go DBMon %s: keys %v, want %v (%v)", what, w.family, keys, want, err)
	}
	return st
}

// meshJSON brings a value into one comparable form: JSON text decoded with
// json.Number and encoded again (sorted keys, no HTML escaping).
func meshJSON(t testing.TB, v any) string {
	t.Helper()
	var raw []byte
	switch x := v.(type) {
	case json.RawMessage:
		raw = x
	default:
		var err error
		if raw, err = marshalNoEscape(v); err != nil {
			t.Fatalf("encoding %#v: %v", v, err)
		}
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var back any
	if err := d.Decode(&back); err != nil {
		t.Fatalf("decoding %s: %v", raw, err)
	}
	out, err := marshalNoEscape(back)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

func marshalNoEscape(v any) ([]byte, error) {
	var b bytes.Buffer
	e := json.NewEncoder(&b)
	e.SetEscapeHTML(false)
	if err := e.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// lineLog collects the lines written to it (a Go node's Trace) and lets a
// test wait for one.
type lineLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
	change  chan struct{}
}

func newLineLog() *lineLog { return &lineLog{change: make(chan struct{})} }

func (l *lineLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			break
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
	close(l.change)
	l.change = make(chan struct{})
	return len(p), nil
}

// Wait returns the first line containing every one of substrs.
func (l *lineLog) Wait(ctx context.Context, substrs ...string) (string, error) {
	seen := 0
	for {
		l.mu.Lock()
		for ; seen < len(l.lines); seen++ {
			all := true
			for _, s := range substrs {
				if !strings.Contains(l.lines[seen], s) {
					all = false
					break
				}
			}
			if all {
				line := l.lines[seen]
				l.mu.Unlock()
				return line, nil
			}
		}
		ch := l.change
		l.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return "", fmt.Errorf("no trace line containing %q", substrs)
		}
	}
}

// tutProc is a program (a Go example or a Perl tutorial script) run with
// a given environment; stdout and stderr lines are collected together,
// stderr ones prefixed with "[stderr] ". A chat client's "\r  \r" line
// rewriting is undone: each line is what follows its last "\r".
type tutProc struct {
	t     testing.TB
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan struct{}

	mu     sync.Mutex
	lines  []string
	change chan struct{}
}

// startTutProc runs prog with args as a process group of its own and kills
// the group at cleanup (also when the test ends early). What it printed is
// logged when the test failed, or always with MESH_SHOW_OUTPUT=1.
func startTutProc(t testing.TB, name string, env []string, dir, prog string, args ...string) *tutProc {
	t.Helper()
	cmd := exec.Command(prog, args...)
	cmd.Env = env
	cmd.Dir = dir
	p := &tutProc{t: t, name: name, cmd: cmd, done: make(chan struct{}), change: make(chan struct{})}
	stdin, stdout, stderr, err := StartGroup(cmd)
	if err != nil {
		t.Fatalf("starting %s: %v", name, err)
	}
	p.stdin = stdin
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); p.read(stdout, "") }()
	go func() { defer readers.Done(); p.read(stderr, "[stderr] ") }()
	go func() {
		readers.Wait()
		cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.kill()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			t.Errorf("%s did not exit after SIGKILL", name)
		}
		if t.Failed() || os.Getenv("MESH_SHOW_OUTPUT") != "" {
			t.Logf("---- %s (%s) ----\n  %s", name, strings.Join(cmd.Args, " "), strings.Join(p.output(), "\n  "))
		}
	})
	return p
}

func (p *tutProc) read(r io.Reader, prefix string) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndexByte(line, '\r'); i >= 0 {
			line = line[i+1:]
		}
		p.mu.Lock()
		p.lines = append(p.lines, prefix+line)
		close(p.change)
		p.change = make(chan struct{})
		p.mu.Unlock()
	}
}

func (p *tutProc) output() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.lines)
}

// mark returns the number of lines printed so far, for waitLine's from.
func (p *tutProc) mark() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// waitLine waits for a line at index from or later that contains substr,
// and returns its index and text. It fails the test when ctx ends or the
// program exits first.
func (p *tutProc) waitLine(ctx context.Context, from int, substr string) (int, string) {
	p.t.Helper()
	exited := false
	for {
		p.mu.Lock()
		for i := from; i < len(p.lines); i++ {
			if strings.Contains(p.lines[i], substr) {
				l := p.lines[i]
				p.mu.Unlock()
				return i, l
			}
		}
		from = max(from, len(p.lines))
		ch := p.change
		p.mu.Unlock()
		if exited {
			p.t.Fatalf("%s exited without printing a line containing %q", p.name, substr)
		}
		select {
		case <-ch:
		case <-p.done:
			exited = true // read what is left once more
		case <-ctx.Done():
			p.t.Fatalf("%s: no line containing %q (%v)", p.name, substr, ctx.Err())
		}
	}
}

// count returns how many lines from index from on contain substr.
func (p *tutProc) count(from int, substr string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for i := from; i < len(p.lines); i++ {
		if strings.Contains(p.lines[i], substr) {
			n++
		}
	}
	return n
}

// type_ writes one line to the program's standard input.
func (p *tutProc) type_(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		p.t.Fatalf("writing to %s: %v", p.name, err)
	}
}

// kill kills the program's process group (a crash, not a shutdown).
func (p *tutProc) kill() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// tutHome writes the rc file every tutorial program of one mesh reads:
// the test secret, the given seeds, binds 127.0.0.1:0, all as global
// settings, so that the default profile (the host name) gets them, as the
// tutorial's `aemp seeds` set-up does.
func tutHome(t testing.TB, seeds ...string) *Home {
	t.Helper()
	dir := t.TempDir()
	h := &Home{Dir: dir, RC: filepath.Join(dir, "rc.json")}
	rc := map[string]any{
		"version": 1,
		"secret":  meshSecret,
		"seeds":   seeds,
		"binds":   []string{"127.0.0.1:0"},
	}
	b, err := json.MarshalIndent(rc, "", "   ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(h.RC, append(b, '\n'), 0o600); err != nil {
		t.Fatal(err)
	}
	return h
}

// meshEventually polls cond every 20 ms until it holds or ctx ends.
func meshEventually(ctx context.Context, cond func() bool) bool {
	for !cond() {
		select {
		case <-ctx.Done():
			return false
		case <-time.After(20 * time.Millisecond):
		}
	}
	return true
}

// jsonUnmarshalNumber decodes JSON with numbers as json.Number.
func jsonUnmarshalNumber(raw []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	return d.Decode(v)
}
