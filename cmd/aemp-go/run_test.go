package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startRun runs `aemp-go run args...` in the background until the test
// ends, and waits until it prints that it runs.
func startRun(t *testing.T, args ...string) (stdout, stderr *syncBuffer, stop func() int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, append([]string{"run"}, args...), stdout, stderr) }()
	code := -1
	stop = func() int {
		cancel()
		if code < 0 {
			select {
			case code = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("run did not stop")
			}
		}
		return code
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(stdout.String(), "running") {
		select {
		case code = <-done:
			t.Fatalf("run exited %d: %s %s", code, stdout, stderr)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("run did not start: %s %s", stdout, stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
	return stdout, stderr, stop
}

// With no rc file at all, run writes one that makes this node a local
// seed, says so, and runs it.
func TestRunFirstTime(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("PERL_ANYEVENT_MP_RC", "")
	os.Unsetenv("PERL_ANYEVENT_MP_RC")
	addr := freeAddr(t)
	stdout, _, stop := startRun(t, "--first-run-addr", addr)

	path := filepath.Join(home, ".perl-anyevent-mp")
	contains(t, "stdout", stdout.String(), "created "+path)
	m := readRC(t, path)
	secret, _ := m["secret"].(string)
	if len(secret) != 180 {
		t.Errorf("secret %q", secret)
	}
	// the seed's settings live in profile "seed", not in the host name's
	// profile, which every other program on the host uses by default
	wantJSON(t, path, `{"version":1,"secret":"`+secret+`","seeds":["`+addr+`"],"binds":["127.0.0.1:0"],"profile":{"seed":{"nodeid":"seed","binds":["`+addr+`"]}}}`)
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rc file mode: %v %v", fi.Mode(), err)
	}

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("the new seed does not listen: %v", err)
	}
	conn.Close()
	// The aemp profile inherits the secret and seed: cal works at once.
	r := mustAemp(t, "cal", "seed", "time")
	if r.stdout == "" {
		t.Error("no reply")
	}
	if code := stop(); code != 0 {
		t.Errorf("run exited %d after the signal", code)
	}
	contains(t, "stdout", stdout.String(), "node seed stopped")

	// A second bare run finds the file, does not touch it, and runs the
	// seed again.
	before, _ := os.ReadFile(path)
	stdout2, _, stop := startRun(t, "--first-run-addr", freeAddr(t))
	contains(t, "stdout", stdout2.String(), `running profile "seed"`)
	contains(t, "stdout", stdout2.String(), "node seed (profile seed)")
	stop()
	after, _ := os.ReadFile(path)
	if string(before) != string(after) {
		t.Error("second run rewrote the rc file")
	}
}

func TestRunProfileAndServices(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"`+testSecret+`","profile":{"n":{"nodeid":"gonode","binds":["127.0.0.1:0"],"services":["AnyEvent::MP::Global::","AempGo::Echo::"]}}}`)
	stdout, _, _ := startRun(t, "n")
	contains(t, "stdout", stdout.String(), "node gonode (profile n)")
	addr := strings.Fields(strings.SplitN(stdout.String(), "listening on ", 2)[1])[0]
	r := mustAemp(t, "--seed", strings.TrimSuffix(addr, ";"), "cal", "gonode", echoFunc, "a", "b")
	if r.stdout != "\"a\",\"b\"\n" {
		t.Errorf("echo service: %q", r.stdout)
	}
	// AnyEvent::MP::Global:: made it global although it has no seeds
	if r := mustAemp(t, "--seed", strings.TrimSuffix(addr, ";"), "cal", "gonode", "can", "g_find"); r.stdout != "\"1\"\n" {
		t.Errorf("can g_find: %q", r.stdout)
	}
}

// Arguments are configure's key/value pairs, JSON allowed.
func TestRunKeyValueArgs(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"s"}`)
	stdout, _, _ := startRun(t, "profile", "p", "nodeid", "kv", "binds", `["127.0.0.1:0"]`)
	contains(t, "stdout", stdout.String(), "node kv (profile p) running, listening on 127.0.0.1:")
}

func TestRunRefusesPerlServices(t *testing.T) {
	for svc, msg := range map[string]string{
		`"My::Module::"`:   "is a Perl module",
		`"My::function"`:   "no Go function is registered",
		`[["My::f", 1]]`:   "no Go function is registered",
		`"AempGo::Echo::"`: "",
	} {
		list := svc
		if !strings.HasPrefix(svc, "[") {
			list = "[" + svc + "]"
		}
		tempRC(t, `{"version":1,"secret":"s","binds":["127.0.0.1:0"],"services":`+list+`}`)
		if msg == "" {
			_, _, stop := startRun(t)
			stop()
			continue
		}
		r := aemp(t, "run")
		if r.code != exitUsage || !strings.Contains(r.stderr, msg) {
			t.Errorf("%s: exit %d stderr %q", svc, r.code, r.stderr)
		}
	}
}

func TestRunBadConfig(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"s","binds":["127.0.0.1:0"],"framing_format":["storable"]}`)
	r := aemp(t, "run")
	if r.code != exitUsage || !strings.Contains(r.stderr, "framing") {
		t.Errorf("%+v", r)
	}
}
