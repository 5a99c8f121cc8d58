// Package interop runs aemp-go against real Perl AnyEvent::MP 2.02 nodes.
//
// The package is a test harness: it finds Perl's AnyEvent::MP, starts Perl
// nodes (small scripts or `aemp run`) in scratch homes with their own rc
// files on 127.0.0.1, reads what they print, and kills them when a test
// ends. The live tests and benchmarks are in the _test.go files; they skip
// with one line when Perl AnyEvent::MP 2.02 is not installed.
package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// StartGroup starts cmd as the leader of a process group of its own (so
// that killing the group also ends what it forks), with pipes to its
// stdin, stdout and stderr.
func StartGroup(cmd *exec.Cmd) (stdin io.WriteCloser, stdout, stderr io.ReadCloser, err error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if stdout, err = cmd.StdoutPipe(); err != nil {
		return nil, nil, nil, err
	}
	if stderr, err = cmd.StderrPipe(); err != nil {
		return nil, nil, nil, err
	}
	if stdin, err = cmd.StdinPipe(); err != nil {
		return nil, nil, nil, err
	}
	if err = cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	return stdin, stdout, stderr, nil
}

// WantVersion is the AnyEvent::MP version these tests were written against.
const WantVersion = "2.02"

// SkipNoPerl is the skip message when AnyEvent::MP cannot be loaded.
const SkipNoPerl = "interop: Perl AnyEvent::MP not installed (perl -MAnyEvent::MP failed); install it with `cpanm AnyEvent::MP` to run the live tests"

// StartTimeout bounds how long a Perl node may take to listen.
const StartTimeout = 10 * time.Second

var perlCheck struct {
	once    sync.Once
	perl    string // path of perl
	version string
	skip    string // non-empty: why the live tests cannot run
}

// RequirePerl skips tb unless Perl AnyEvent::MP 2.02 can be loaded, and
// returns the path of the perl binary.
func RequirePerl(tb testing.TB) string {
	tb.Helper()
	perl, skip := FindPerl()
	if skip != "" {
		tb.Skip(skip)
	}
	return perl
}

// FindPerl looks for Perl AnyEvent::MP 2.02 once per process. It returns
// the path of perl, or in skip why it cannot be used (and what to install).
func FindPerl() (perl, skip string) {
	perlCheck.once.Do(func() {
		perl, err := exec.LookPath("perl")
		if err != nil {
			perlCheck.skip = SkipNoPerl
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, perl, "-MAnyEvent::MP", "-e", "print $AnyEvent::MP::VERSION").Output()
		if err != nil {
			perlCheck.skip = SkipNoPerl
			return
		}
		perlCheck.perl = perl
		perlCheck.version = strings.TrimSpace(string(out))
		if perlCheck.version != WantVersion {
			perlCheck.skip = fmt.Sprintf("interop: Perl AnyEvent::MP is version %q, these live tests need %s (`cpanm MLEHMANN/AnyEvent-MP-%s.tar.gz`)",
				perlCheck.version, WantVersion, WantVersion)
		}
	})
	return perlCheck.perl, perlCheck.skip
}

// RequireAemp skips tb unless Perl AnyEvent::MP 2.02 and its `aemp`
// command are installed, and returns the path of `aemp`.
func RequireAemp(tb testing.TB) string {
	tb.Helper()
	RequirePerl(tb)
	aemp, err := exec.LookPath("aemp")
	if err != nil {
		tb.Skip("interop: the `aemp` command of Perl AnyEvent::MP is not in PATH")
	}
	return aemp
}

// SkipNoPerlTLS is the skip message when Perl's AnyEvent::TLS cannot be
// loaded, almost always because Net::SSLeay is missing.
const SkipNoPerlTLS = "interop: Perl AnyEvent::TLS cannot be loaded (perl -MAnyEvent::TLS failed: %s); install Net::SSLeay (Debian: `apt-get install libnet-ssleay-perl`) to run the TLS tests"

var perlTLSCheck struct {
	once sync.Once
	skip string
}

// RequirePerlTLS skips tb unless Perl AnyEvent::MP 2.02 and AnyEvent::TLS
// (which needs Net::SSLeay) can be loaded: without them a Perl node cannot
// speak TLS and `aemp gencert`'s certificate is useless, so the TLS tests
// would fail for a reason that is not aemp-go's.
func RequirePerlTLS(tb testing.TB) {
	tb.Helper()
	perl := RequirePerl(tb)
	perlTLSCheck.once.Do(func() {
		if err := checkPerlModule(perl, nil, "AnyEvent::TLS"); err != nil {
			perlTLSCheck.skip = fmt.Sprintf(SkipNoPerlTLS, err)
		}
	})
	if perlTLSCheck.skip != "" {
		tb.Skip(perlTLSCheck.skip)
	}
}

// checkPerlModule loads module with perl (env added to the environment) and
// returns Perl's first line of complaint when that fails.
func checkPerlModule(perl string, env []string, module string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, perl, "-M"+module, "-e", "1")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	if i := strings.Index(line, " (@INC"); i > 0 {
		line = line[:i] // the module path list makes the skip line unreadable
	}
	if line != "" {
		return errors.New(line)
	}
	return err
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago, for a node started later to listen on.
//
// The port is picked below the kernel's ephemeral range where it can:
// a port from that range (what listening on port 0 gives) may be handed
// to an outgoing connection of another node before the one it was meant
// for binds it ("Address already in use", seen in the chaos test). Below
// the range only another program can take it.
func FreeAddr(tb testing.TB) string {
	tb.Helper()
	if lo := ephemeralLow(); lo > freePortMin {
		for range 50 {
			port := freePortMin + rand.IntN(lo-freePortMin)
			if !handedOut.claim(port) {
				continue // given to an earlier caller, which may not listen yet
			}
			l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
			if err == nil {
				addr := l.Addr().String()
				l.Close()
				return addr
			}
		}
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// freePortMin is the lowest port FreeAddr picks: above the ports of
// well-known services.
const freePortMin = 20000

// handedOut is the ports FreeAddr returned in this process, which it
// never returns again (a random pick could repeat one).
var handedOut portSet

type portSet struct {
	mu    sync.Mutex
	ports map[int]bool
}

// claim reports whether port was not handed out yet, and marks it.
func (s *portSet) claim(port int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ports[port] {
		return false
	}
	if s.ports == nil {
		s.ports = map[int]bool{}
	}
	s.ports[port] = true
	return true
}

// ephemeralLow is the lowest port of Linux's ephemeral range, or 0 where
// it cannot be read.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0
	}
	var lo, hi int
	if _, err := fmt.Sscan(string(b), &lo, &hi); err != nil {
		return 0
	}
	return lo
}

// Spec describes one Perl node. Everything goes into the rc file the
// harness writes; nothing is inherited from the user's environment.
type Spec struct {
	Profile  string   // profile name; default "test"
	NodeID   string   // required
	Secret   string   // global secret
	Cert     string   // global cert (PEM key + certificate), "" for none
	Framings []string // framing_format; nil: Perl's default (cbor,json,storable)
	Addr     string   // listen address; default a free 127.0.0.1 port
	// Seeds defaults to the node's own address (it is then a global node).
	// Use []string{} for none.
	Seeds   []string
	Extra   map[string]any // further profile keys
	Args    []string       // further script arguments, after the profile name
	Verbose bool           // AE_VERBOSE=9: AnyEvent::Log trace lines on stderr
	Trace   bool           // PERL_ANYEVENT_MP_TRACE=1
}

// Home is a scratch home of a Perl node: HOME and the rc file it uses.
type Home struct {
	Dir string
	RC  string
}

// NewHome makes a scratch home with an rc file built from spec (Addr must
// be set).
func NewHome(tb testing.TB, spec *Spec) *Home {
	tb.Helper()
	dir := tb.TempDir()
	h := &Home{Dir: dir, RC: filepath.Join(dir, "rc.json")}
	b, err := spec.RCFile()
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(h.RC, b, 0o600); err != nil {
		tb.Fatal(err)
	}
	return h
}

// RCFile returns the text of the rc file for spec (Addr and Profile must
// be set): one profile, and the global secret and cert.
func (spec *Spec) RCFile() ([]byte, error) {
	prof := map[string]any{
		"nodeid": spec.NodeID,
		"binds":  []string{spec.Addr},
	}
	if spec.Seeds == nil {
		prof["seeds"] = []string{spec.Addr}
	} else {
		prof["seeds"] = spec.Seeds
	}
	if spec.Framings != nil {
		prof["framing_format"] = spec.Framings
	}
	for k, v := range spec.Extra {
		prof[k] = v
	}
	rc := map[string]any{
		"version": 1,
		"profile": map[string]any{spec.Profile: prof},
	}
	if spec.Secret != "" {
		rc["secret"] = spec.Secret
	}
	if spec.Cert != "" {
		rc["cert"] = spec.Cert
	}
	b, err := json.MarshalIndent(rc, "", "   ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Env returns the environment for Perl programs using this home: the
// caller's environment without HOME and AnyEvent variables, plus ours.
func (h *Home) Env(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "HOME" || strings.HasPrefix(k, "PERL_ANYEVENT") || strings.HasPrefix(k, "AE_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, append([]string{"HOME=" + h.Dir, "PERL_ANYEVENT_MP_RC=" + h.RC}, extra...)...)
}

// ReadRC returns the rc file as Perl left it (e.g. after `aemp gencert`).
func (h *Home) ReadRC(tb testing.TB) map[string]any {
	tb.Helper()
	b, err := os.ReadFile(h.RC)
	if err != nil {
		tb.Fatal(err)
	}
	var rc map[string]any
	if err := json.Unmarshal(b, &rc); err != nil {
		tb.Fatalf("rc file %s: %v\n%s", h.RC, err, b)
	}
	return rc
}

// Aemp runs one `aemp` subcommand with this home and returns its stdout.
// stderr goes into the error.
func (h *Home) Aemp(ctx context.Context, tb testing.TB, args ...string) (string, error) {
	tb.Helper()
	aemp := RequireAemp(tb)
	cmd := exec.CommandContext(ctx, aemp, args...)
	cmd.Env = h.Env()
	cmd.Dir = h.Dir
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("aemp %s: %w (stderr: %s)", strings.Join(args, " "), err, strings.TrimSpace(stderr.String()))
	}
	return stdout.String(), nil
}

// Event is one JSON object a Perl test script printed on a line of its
// stdout. Values are kept raw so that tests can compare exactly what Perl
// encoded (123 is not "123").
type Event map[string]json.RawMessage

// Str returns a string field ("" if absent or not a string).
func (e Event) Str(key string) string {
	var s string
	json.Unmarshal(e[key], &s)
	return s
}

// Raw returns a field's JSON text as Perl's canonical JSON::XS wrote it.
func (e Event) Raw(key string) string { return string(e[key]) }

// List decodes an array field into JSON values, numbers as json.Number.
func (e Event) List(key string) []any {
	var l []any
	d := json.NewDecoder(bytes.NewReader(e[key]))
	d.UseNumber()
	d.Decode(&l)
	return l
}

func (e Event) String() string {
	b, _ := json.Marshal(map[string]json.RawMessage(e))
	return string(b)
}

// Proc is a running Perl node.
type Proc struct {
	tb     testing.TB
	Name   string
	NodeID string
	Addr   string // where it listens
	Home   *Home
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	done   chan struct{} // closed when the process has exited
	err    error         // Wait's result, after done

	mu     sync.Mutex
	change chan struct{} // closed and replaced on every new line
	out    []string      // stdout lines
	errs   []string      // stderr lines
	events []Event
	used   []bool // events handed out by WaitEvent
}

// StartScript writes script to a file and runs it with perl as a node
// configured by spec; the script gets the profile name as $ARGV[0] and
// spec.Args after it.
// It returns once the node accepts connections.
func StartScript(tb testing.TB, spec Spec, script string) *Proc {
	tb.Helper()
	perl := RequirePerl(tb)
	spec.defaults(tb)
	h := NewHome(tb, &spec)
	path := filepath.Join(h.Dir, "node.pl")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		tb.Fatal(err)
	}
	return start(tb, &spec, h, perl, append([]string{path, spec.Profile}, spec.Args...)...)
}

// StartAempRun runs `aemp run profile <profile>` as a node configured by
// spec, under AnyEvent::Watchdog as aemp does, and returns once it
// accepts connections. h may carry a home prepared earlier (e.g. with
// `aemp gencert`); nil makes a new one.
func StartAempRun(tb testing.TB, spec Spec, h *Home) *Proc {
	tb.Helper()
	aemp := RequireAemp(tb)
	spec.defaults(tb)
	if h == nil {
		h = NewHome(tb, &spec)
	}
	return start(tb, &spec, h, aemp, "run", "profile", spec.Profile)
}

func (s *Spec) defaults(tb testing.TB) {
	if s.NodeID == "" {
		tb.Fatal("interop: Spec.NodeID is required")
	}
	if s.Profile == "" {
		s.Profile = "test"
	}
	if s.Addr == "" {
		s.Addr = FreeAddr(tb)
	}
}

// PrepareHome fills in spec's defaults and writes its home, for tests
// that run aemp commands (gencert) before StartAempRun.
func PrepareHome(tb testing.TB, spec *Spec) *Home {
	tb.Helper()
	spec.defaults(tb)
	return NewHome(tb, spec)
}

func start(tb testing.TB, spec *Spec, h *Home, prog string, args ...string) *Proc {
	tb.Helper()
	var extra []string
	if spec.Verbose {
		extra = append(extra, "AE_VERBOSE=9")
	}
	if spec.Trace {
		extra = append(extra, "PERL_ANYEVENT_MP_TRACE=1")
	}
	cmd := exec.Command(prog, args...)
	cmd.Env = h.Env(extra...)
	cmd.Dir = h.Dir
	p := &Proc{tb: tb, Name: spec.NodeID, NodeID: spec.NodeID, Addr: spec.Addr, Home: h, cmd: cmd,
		done: make(chan struct{}), change: make(chan struct{})}
	stdin, stdout, stderr, err := StartGroup(cmd)
	if err != nil {
		tb.Fatalf("interop: starting %s: %v", prog, err)
	}
	p.stdin = stdin
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); p.read(stdout, false) }()
	go func() { defer readers.Done(); p.read(stderr, true) }()
	go func() {
		readers.Wait() // Wait closes the pipes; read them to the end first
		p.err = cmd.Wait()
		close(p.done)
	}()
	tb.Cleanup(func() {
		p.Kill()
		select {
		case <-p.done:
		case <-time.After(5 * time.Second):
			tb.Errorf("interop: %s did not exit after SIGKILL of its process group", p.Name)
		}
		if tb.Failed() {
			tb.Logf("---- Perl node %s (%s) ----\n%s", p.Name, strings.Join(cmd.Args, " "), p.Output())
		}
	})
	p.waitListening()
	return p
}

func (p *Proc) read(r io.Reader, isErr bool) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		line := sc.Text()
		p.mu.Lock()
		if isErr {
			p.errs = append(p.errs, line)
		} else {
			p.out = append(p.out, line)
			if strings.HasPrefix(line, "{") {
				var ev Event
				if json.Unmarshal([]byte(line), &ev) == nil {
					p.events = append(p.events, ev)
					p.used = append(p.used, false)
				}
			}
		}
		close(p.change)
		p.change = make(chan struct{})
		p.mu.Unlock()
	}
}

// waitListening waits until the node accepts connections on its address.
func (p *Proc) waitListening() {
	p.tb.Helper()
	deadline := time.Now().Add(StartTimeout)
	for {
		c, err := net.DialTimeout("tcp", p.Addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.done:
			p.tb.Fatalf("interop: Perl node %s exited before listening on %s: %v\n%s", p.Name, p.Addr, p.err, p.Output())
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			p.tb.Fatalf("interop: Perl node %s not listening on %s after %v\n%s", p.Name, p.Addr, StartTimeout, p.Output())
		}
	}
}

// Kill kills the node's whole process group (aemp run's watchdog parent
// ignores TERM) and does not wait.
func (p *Proc) Kill() {
	select {
	case <-p.done:
		return
	default:
	}
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
}

// Exited is closed when the process has exited.
func (p *Proc) Exited() <-chan struct{} { return p.done }

// Output returns everything the node printed so far.
func (p *Proc) Output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return "stdout:\n  " + joinClipped(p.out) + "\nstderr:\n  " + joinClipped(p.errs)
}

// joinClipped joins lines for a test log, each cut to 1000 bytes.
func joinClipped(lines []string) string {
	var b strings.Builder
	for i, l := range lines {
		if i > 0 {
			b.WriteString("\n  ")
		}
		if len(l) > 1000 {
			fmt.Fprintf(&b, "%s... (%d bytes)", l[:1000], len(l))
		} else {
			b.WriteString(l)
		}
	}
	return b.String()
}

// StderrLines returns the stderr lines printed so far (e.g. the RCV/SND
// lines of PERL_ANYEVENT_MP_TRACE).
func (p *Proc) StderrLines() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.errs...)
}

// Send writes one command to the script's stdin as a JSON line.
func (p *Proc) Send(tb testing.TB, cmd map[string]any) {
	tb.Helper()
	b, err := json.Marshal(cmd)
	if err != nil {
		tb.Fatal(err)
	}
	p.SendLine(tb, string(b))
}

// SendLine writes one line to the script's stdin.
func (p *Proc) SendLine(tb testing.TB, line string) {
	tb.Helper()
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		tb.Fatalf("interop: writing to %s: %v", p.Name, err)
	}
}

// WaitEvent waits for the first event not yet returned that matches, and
// fails the test when none comes before ctx ends or the process exits.
func (p *Proc) WaitEvent(tb testing.TB, ctx context.Context, what string, match func(Event) bool) Event {
	tb.Helper()
	ev, err := p.waitEvent(ctx, match)
	if err != nil {
		tb.Fatalf("interop: waiting for %s from Perl node %s: %v", what, p.Name, err)
	}
	return ev
}

func (p *Proc) waitEvent(ctx context.Context, match func(Event) bool) (Event, error) {
	var got Event
	err := p.await(ctx, func() bool {
		for i, ev := range p.events {
			if !p.used[i] && match(ev) {
				p.used[i] = true
				got = ev
				return true
			}
		}
		return false
	})
	return got, err
}

// await calls find (with p.mu held) now and each time the process prints
// something, until find reports true. It gives up when ctx ends, or when
// the process has exited and find, called once more over everything it
// printed, still finds nothing.
func (p *Proc) await(ctx context.Context, find func() bool) error {
	for {
		p.mu.Lock()
		found := find()
		ch := p.change
		p.mu.Unlock()
		if found {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		case <-p.done:
			// read what is left, once
			p.mu.Lock()
			found = find()
			p.mu.Unlock()
			if found {
				return nil
			}
			return fmt.Errorf("process exited: %v", p.err)
		}
	}
}

// Ev matches events by their "ev" field and, when id is not empty, their
// "id" field.
func Ev(ev, id string) func(Event) bool {
	return func(e Event) bool { return e.Str("ev") == ev && (id == "" || e.Str("id") == id) }
}

// WaitLine waits for a stdout (or, with stderr, stderr) line containing
// substr and returns it.
func (p *Proc) WaitLine(ctx context.Context, stderr bool, substr string) (string, error) {
	seen := 0
	var got string
	err := p.await(ctx, func() bool {
		lines := p.out
		if stderr {
			lines = p.errs
		}
		for ; seen < len(lines); seen++ {
			if strings.Contains(lines[seen], substr) {
				got = lines[seen]
				return true
			}
		}
		return false
	})
	if err != nil {
		return "", fmt.Errorf("no line containing %q from %s: %w", substr, p.Name, err)
	}
	return got, nil
}

// LogSink is a slog handler that keeps every record, so tests can read
// what a Go node logged (and show it when they fail).
type LogSink struct {
	mu     sync.Mutex
	change chan struct{}
	lines  []string
	attrs  []slog.Attr
	parent *LogSink
}

// NewLogSink returns a sink and a logger (debug level) writing to it.
func NewLogSink() (*LogSink, *slog.Logger) {
	s := &LogSink{change: make(chan struct{})}
	return s, slog.New(s)
}

func (s *LogSink) root() *LogSink {
	if s.parent != nil {
		return s.parent
	}
	return s
}

func (s *LogSink) Enabled(context.Context, slog.Level) bool { return true }

func (s *LogSink) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %q", r.Time.Format("15:04:05.000000"), r.Level, r.Message)
	for _, a := range s.attrs {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
	}
	r.Attrs(func(a slog.Attr) bool {
		fmt.Fprintf(&b, " %s=%q", a.Key, a.Value.String())
		return true
	})
	root := s.root()
	root.mu.Lock()
	root.lines = append(root.lines, b.String())
	close(root.change)
	root.change = make(chan struct{})
	root.mu.Unlock()
	return nil
}

func (s *LogSink) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogSink{parent: s.root(), attrs: append(append([]slog.Attr(nil), s.attrs...), attrs...)}
}

func (s *LogSink) WithGroup(string) slog.Handler { return s }

// Lines returns what was logged so far.
func (s *LogSink) Lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

// Wait waits for a log line containing every one of substrs.
func (s *LogSink) Wait(ctx context.Context, substrs ...string) (string, error) {
	seen := 0
	for {
		s.mu.Lock()
		for ; seen < len(s.lines); seen++ {
			all := true
			for _, sub := range substrs {
				if !strings.Contains(s.lines[seen], sub) {
					all = false
					break
				}
			}
			if all {
				l := s.lines[seen]
				s.mu.Unlock()
				return l, nil
			}
		}
		ch := s.change
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return "", errors.New("no Go log line containing " + strings.Join(substrs, " and "))
		}
	}
}
