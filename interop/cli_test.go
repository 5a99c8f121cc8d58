package interop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// The CLI against real Perl: config written by one tool drives the other's
// node, and aemp-go's protocol commands work on Perl nodes.

var aempGoBuild struct {
	once sync.Once
	path string
	err  error
}

// aempGo builds cmd/aemp-go once per test binary.
func aempGo(t testing.TB) string {
	t.Helper()
	aempGoBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "aemp-go-interop-")
		if err != nil {
			aempGoBuild.err = err
			return
		}
		aempGoBuild.path = filepath.Join(dir, "aemp-go")
		out, err := exec.Command("go", "build", "-o", aempGoBuild.path, "github.com/aemp-go/aemp-go/cmd/aemp-go").CombinedOutput()
		if err != nil {
			aempGoBuild.err = errors.New(string(out))
		}
	})
	if aempGoBuild.err != nil {
		t.Fatalf("building aemp-go: %v", aempGoBuild.err)
	}
	return aempGoBuild.path
}

// cliResult is one aemp-go run.
type cliResult struct {
	stdout, stderr string
	code           int
}

// runAempGo runs aemp-go with the home's rc file.
func runAempGo(t testing.TB, h *Home, args ...string) cliResult {
	t.Helper()
	// Build (or find) the binary before the clock starts: the first call
	// compiles aemp-go, which on a loaded machine can take most of the 20 s
	// the run itself is given.
	bin := aempGo(t)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = h.Env()
	cmd.Dir = h.Dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	r := cliResult{stdout: out.String(), stderr: errb.String()}
	var ee *exec.ExitError
	switch {
	case errors.As(err, &ee):
		r.code = ee.ExitCode()
	case err != nil:
		t.Fatalf("aemp-go %s: %v", strings.Join(args, " "), err)
	}
	return r
}

func (r cliResult) mustOK(t testing.TB, what string) string {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("aemp-go %s: exit %d\nstdout: %s\nstderr: %s", what, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// emptyHome is a scratch home with no rc file yet.
func emptyHome(t testing.TB) *Home {
	dir := t.TempDir()
	return &Home{Dir: dir, RC: filepath.Join(dir, "rc.json")}
}

// isTime checks that out is one line holding a Unix time, as aemp cal
// seed time prints it.
func isTime(t testing.TB, who, out string) {
	t.Helper()
	f, err := strconv.ParseFloat(strings.TrimSpace(out), 64)
	if err != nil || strings.Count(strings.TrimSpace(out), "\n") != 0 || time.Since(time.Unix(int64(f), 0)).Abs() > time.Hour {
		t.Fatalf("%s printed %q, not a current time", who, out)
	}
}

func TestCLIConfigFromAempGoDrivesPerlNode(t *testing.T) {
	RequireAemp(t)
	h := emptyHome(t)
	addr := FreeAddr(t)
	runAempGo(t, h, "gensecret", "seeds", addr, "profile", "aemp", "binds", "127.0.0.1:0",
		"profile", "pnode", "binds", addr, "nodeid", "pnode").mustOK(t, "config")

	p := StartAempRun(t, Spec{NodeID: "pnode", Profile: "pnode", Addr: addr}, h)

	// cal: both tools print the same kind of answer
	isTime(t, "aemp-go cal", runAempGo(t, h, "cal", "pnode", "time").mustOK(t, "cal"))
	ctx := timeout(t, 15*time.Second)
	perlOut, err := h.Aemp(ctx, t, "cal", "pnode", "time")
	if err != nil {
		t.Fatal(err)
	}
	isTime(t, "aemp cal", perlOut)

	// snd
	if out := runAempGo(t, h, "snd", "pnode", "devnull", "x").mustOK(t, "snd"); !strings.Contains(out, "message sent successfully") {
		t.Fatalf("snd printed %q", out)
	}
	// eval runs Perl on the Perl node and prints the results
	if out := runAempGo(t, h, "eval", "pnode", "6*7").mustOK(t, "eval"); strings.TrimSpace(out) != "42" {
		t.Fatalf("eval printed %q", out)
	}
	// trace lists the node's connections
	if out := runAempGo(t, h, "trace", "pnode").mustOK(t, "trace"); !strings.Contains(out, "pnode ->") {
		t.Fatalf("trace printed %q", out)
	}
	// mon: make a port on the Perl node, watch it, kill it with a reason
	// (aemp prints eval results as JSON, so the port ID comes quoted)
	var port string
	out := runAempGo(t, h, "eval", "pnode", `$main::P = AnyEvent::MP::port { }; $main::P`).mustOK(t, "eval port")
	if err := json.Unmarshal([]byte(out), &port); err != nil || !strings.HasPrefix(port, "pnode#") {
		t.Fatalf("eval made port %q", port)
	}
	monDone := make(chan cliResult, 1)
	go func() { monDone <- runAempGo(t, h, "--timeout", "15s", "mon", port) }()
	time.Sleep(500 * time.Millisecond) // let mon1 arrive first
	runAempGo(t, h, "eval", "pnode", `AnyEvent::MP::kil $main::P, custom => "bye now"; 1`).mustOK(t, "eval kil")
	select {
	case r := <-monDone:
		if !strings.Contains(r.stdout, "custom") || !strings.Contains(r.stdout, "bye now") {
			t.Fatalf("mon printed %q (stderr %q, exit %d)", r.stdout, r.stderr, r.code)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("aemp-go mon did not return after the port was killed")
	}
	_ = p
}

func TestCLIPerlConfigDrivesAempGoRun(t *testing.T) {
	RequireAemp(t)
	h := emptyHome(t)
	addr := FreeAddr(t)
	ctx := timeout(t, 60*time.Second)
	for _, args := range [][]string{
		{"gensecret"}, {"seeds", addr}, {"profile", "aemp", "binds", "127.0.0.1:0"},
		{"profile", "gnode", "binds", addr, "nodeid", "gnode"},
	} {
		if _, err := h.Aemp(ctx, t, args...); err != nil {
			t.Fatal(err)
		}
	}
	// aemp-go run profile gnode, from Perl's config
	cmd := exec.Command(aempGo(t), "run", "profile", "gnode")
	cmd.Env, cmd.Dir = h.Env(), h.Dir
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("aemp-go run output:\n%s", logs.String())
		}
	})
	for deadline := time.Now().Add(StartTimeout); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond); err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("aemp-go run not listening on %s", addr)
		}
	}

	out, err := h.Aemp(ctx, t, "cal", "gnode", "time")
	if err != nil {
		t.Fatal(err)
	}
	isTime(t, "Perl aemp cal against aemp-go run", out)
	if out, err := h.Aemp(ctx, t, "snd", "gnode", "devnull"); err != nil || !strings.Contains(out, "message sent successfully") {
		t.Fatalf("Perl aemp snd: %q %v", out, err)
	}
	isTime(t, "aemp-go cal against aemp-go run", runAempGo(t, h, "cal", "gnode", "time").mustOK(t, "cal"))
}

func TestCLIWrongSecretAgainstPerl(t *testing.T) {
	RequireAemp(t)
	p := StartAempRun(t, Spec{NodeID: "pnode", Secret: testSecret}, nil)
	h := emptyHome(t)
	runAempGo(t, h, "setsecret", "not-the-mesh-secret", "seeds", p.Addr,
		"profile", "aemp", "binds", "127.0.0.1:0").mustOK(t, "config")
	r := runAempGo(t, h, "cal", "pnode", "time")
	if r.code == 0 || !strings.Contains(r.stderr, "shared secret does not match") {
		t.Fatalf("wrong secret: exit %d, stderr %q", r.code, r.stderr)
	}
	d := runAempGo(t, h, "doctor", p.Addr)
	if d.code == 0 || !strings.Contains(d.stdout+d.stderr, "secret") {
		t.Fatalf("doctor: exit %d, output %q %q", d.code, d.stdout, d.stderr)
	}
}
