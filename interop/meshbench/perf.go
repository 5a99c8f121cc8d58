package main

import (
	"bytes"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perfStat is `perf stat -p` attached to a receiver for one run (from
// just before the sender starts until the receiver has counted all): the
// kernel's view of what receiving cost, e.g. context switches and
// syscalls (-perf context-switches,raw_syscalls:sys_enter,syscalls:sys_enter_read).
type perfStat struct {
	cmd *exec.Cmd
	out bytes.Buffer
}

func startPerf(events string, target *proc) (*perfStat, error) {
	ps := &perfStat{}
	ps.cmd = exec.Command("perf", "stat", "-x", ",", "-e", events, "-p", strconv.Itoa(target.cmd.Process.Pid))
	ps.cmd.Stderr = &ps.out
	if err := ps.cmd.Start(); err != nil {
		return nil, fmt.Errorf("-perf: %w", err)
	}
	time.Sleep(100 * time.Millisecond) // perf attaches asynchronously
	return ps, nil
}

// stop ends perf (SIGINT makes it print its counts) and returns them by
// event name.
func (ps *perfStat) stop() (map[string]float64, error) {
	ps.cmd.Process.Signal(syscall.SIGINT)
	ps.cmd.Wait()
	counts := map[string]float64{}
	for _, line := range strings.Split(ps.out.String(), "\n") {
		f := strings.Split(line, ",")
		if len(f) < 3 {
			continue
		}
		v, err := strconv.ParseFloat(f[0], 64)
		if err != nil {
			continue // "<not counted>", comments
		}
		counts[f[2]] = v
	}
	if len(counts) == 0 {
		return nil, fmt.Errorf("-perf: no counts from perf stat: %s", strings.TrimSpace(ps.out.String()))
	}
	return counts, nil
}
