package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aemp-go/aemp-go/interop"
)

// proc is one process of a path: a Go child or a Perl node. Its stdout
// lines arrive on lines; stderr is kept (the last lines) for errors.
type proc struct {
	name  string
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines chan string
	dir   string // scratch directory to remove, or ""

	mu   sync.Mutex
	errs []string
	done chan struct{}
}

// live holds every running proc, so that an interrupt kills them all.
var live struct {
	mu    sync.Mutex
	procs map[*proc]bool
}

func startProc(name string, cmd *exec.Cmd, dir string) (*proc, error) {
	p := &proc{name: name, cmd: cmd, dir: dir, lines: make(chan string, 64), done: make(chan struct{})}
	stdin, stdout, stderr, err := interop.StartGroup(cmd)
	if err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p.stdin = stdin
	live.mu.Lock()
	if live.procs == nil {
		live.procs = map[*proc]bool{}
	}
	live.procs[p] = true
	live.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			if p.errs = append(p.errs, sc.Text()); len(p.errs) > 20 {
				p.errs = p.errs[1:]
			}
			p.mu.Unlock()
		}
	}()
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.lines <- sc.Text()
		}
		cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// send writes one command line to the process.
func (p *proc) send(line string) error {
	if _, err := io.WriteString(p.stdin, line+"\n"); err != nil {
		return fmt.Errorf("%s: %w", p.name, err)
	}
	return nil
}

// waitLine returns the next line starting with prefix; other lines are
// skipped.
func (p *proc) waitLine(prefix string, d time.Duration) (string, error) {
	t := time.NewTimer(d)
	defer t.Stop()
	for {
		select {
		case l := <-p.lines:
			if strings.HasPrefix(l, prefix) {
				return l, nil
			}
		case <-p.done:
			select {
			case l := <-p.lines:
				if strings.HasPrefix(l, prefix) {
					return l, nil
				}
				continue
			default:
			}
			return "", fmt.Errorf("%s exited (%v) before printing %q%s", p.name, p.cmd.ProcessState, prefix, p.stderr())
		case <-t.C:
			return "", fmt.Errorf("%s: no line %q after %v%s", p.name, prefix, d, p.stderr())
		}
	}
}

func (p *proc) stderr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.errs) == 0 {
		return ""
	}
	return "; stderr:\n  " + strings.Join(p.errs, "\n  ")
}

// stop kills the process group and waits for the process.
func (p *proc) stop() {
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
	}
	live.mu.Lock()
	delete(live.procs, p)
	live.mu.Unlock()
	if p.dir != "" {
		os.RemoveAll(p.dir)
	}
}

// stopAll kills every running process (on interrupt).
func stopAll() {
	live.mu.Lock()
	procs := make([]*proc, 0, len(live.procs))
	for p := range live.procs {
		procs = append(procs, p)
	}
	live.mu.Unlock()
	for _, p := range procs {
		p.stop()
	}
}

// startGo runs the Go child role with flags, from the variant's binary
// and environment when v is not nil.
func (o *options) startGo(v *variant, role string, flags ...string) (*proc, error) {
	exe := o.exe
	if v != nil && v.exe != "" {
		exe = v.exe
	}
	cmd := exec.Command(exe, append([]string{"child", role}, flags...)...)
	cmd.Env = os.Environ()
	if o.gomaxprocs > 0 {
		cmd.Env = append(cmd.Env, fmt.Sprintf("GOMAXPROCS=%d", o.gomaxprocs))
	}
	o.pin(cmd)
	name := "go " + role
	if v != nil {
		cmd.Env = append(cmd.Env, v.env...)
		name += " [" + v.name + "]"
	}
	return startProc(name, cmd, "")
}

// startPerl runs a meshbench script as the Perl node spec describes, in a
// scratch home with its own rc file.
func (o *options) startPerl(script string, spec interop.Spec) (*proc, error) {
	text, err := interop.Script(script)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "meshbench-perl-")
	if err != nil {
		return nil, err
	}
	spec.Profile = "bench"
	spec.Secret = secret
	rc, err := spec.RCFile()
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, "rc.json"), rc, 0o600)
	}
	if err == nil {
		err = os.WriteFile(filepath.Join(dir, script), []byte(text), 0o600)
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	h := &interop.Home{Dir: dir, RC: filepath.Join(dir, "rc.json")}
	cmd := exec.Command(o.perl, append([]string{filepath.Join(dir, script), spec.Profile}, spec.Args...)...)
	cmd.Env = h.Env()
	cmd.Dir = dir
	o.pin(cmd)
	p, err := startProc("perl "+strings.TrimSuffix(script, ".pl"), cmd, dir)
	if err != nil {
		os.RemoveAll(dir)
	}
	return p, err
}

// pin makes cmd run under `taskset -c <-cpus>` (taskset execs it, so
// the pid stays the program's).
func (o *options) pin(cmd *exec.Cmd) {
	if o.cpus == "" {
		return
	}
	cmd.Args = append([]string{"taskset", "-c", o.cpus}, cmd.Args...)
	cmd.Path = o.taskset
}

// freeAddr returns a 127.0.0.1 address whose port was free a moment ago.
func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}
