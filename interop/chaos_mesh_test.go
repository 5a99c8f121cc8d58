package interop

// The processes of the chaos test and what the test learns from them:
// every node (Go or Perl) is a child process that prints its observations
// as JSON lines (testdata/chaos_node.pl, chaos_child_test.go); chaosMesh
// reads them as they come, checks the no-holes invariant on the fly and
// keeps the monitors each incarnation holds, so that a fault can list the
// monitors that must fire.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// chaosNode is one node of the mesh across its incarnations: the same
// node ID, address and seeds each time it is (re)started.
type chaosNode struct {
	name  string // node ID
	perl  bool
	seed  bool
	addr  string
	seeds []string
	home  *Home  // Perl: scratch HOME and rc file
	prog  string // Perl: the script's path

	// guarded by chaosMesh.mu
	inst    *chaosInst // the current incarnation
	starts  int
	busy    bool   // a fault is in progress (killed and not restarted, or stopped)
	witness int    // stops this node observes as witness: not disturbed until they end
	maxRSS  uint64 // KiB, over every incarnation
}

// chaosInst is one incarnation (OS process) of a node.
type chaosInst struct {
	node  *chaosNode
	n     int // incarnation number, from 1
	cmd   *exec.Cmd
	stdin io.WriteCloser
	ready chan struct{} // closed on the "ready" line
	done  chan struct{} // closed when the process has exited

	// guarded by chaosMesh.mu
	inbox      string
	killed     bool        // killed by the driver (an exit is expected)
	stopped    bool        // SIGSTOPped now
	disturbed  []time.Time // when it was stopped or killed
	last       map[string]int64
	reset      map[string]bool      // sender port -> receiver monitor fired since the last delivery
	mons       map[string]*chaosMon // active monitors: "s "+stream (sender side), "r "+stream (receiver side)
	view       []string             // the last db_mon state
	lastFrom   map[string]time.Time // sender node ID -> last delivery
	stderr     []string             // the last stderr lines
	stderrSeen int
	perl       perlMasterState
}

// perlMasterState follows a Perl node's master from its log (AE_VERBOSE=8
// prints "new master node: X." and "X is down (...)"), to recognise a bug
// of AnyEvent::MP 2.02 that the chaos runs into: Kernel.pm's master_set
// does `$MASTER_MON = mon_nodes sub {...}`, and mon_nodes keys its
// callbacks by the code reference's address. That anonymous sub closes
// over no lexical, so Perl hands out the same code reference every time:
// when master_set runs while the previous master_set's guard is still
// held (a direct failover: the master went down and master_search found
// the other seed up at once), the new registration overwrites the old
// one, and dropping the old guard then deletes it. From then on the node
// does not notice its master going down: when that master dies too, it
// never searches for a new one, so its registrations stay lost and its
// db_mon views stale until it restarts.
type perlMasterState struct {
	master   string // the current master
	monLost  bool   // the master monitor was lost (a direct failover happened)
	orphaned bool   // monLost and then the master went down: the bug hit
	// globalBroken: Global.pm died with "Use of each() on hash after
	// insertion" (fatal under common::sense) while updating the database
	// of a node that went or came (g_clr/g_set); that update is left half
	// done and the node's view of the global database stays wrong.
	globalBroken bool
	lastDown     string // the node of the previous line's "X is down", if any
}

// line takes one stderr line of a Perl node; it reports whether the node
// has just become orphaned.
func (p *perlMasterState) line(l string) bool {
	lastDown := p.lastDown
	p.lastDown = ""
	if _, rest, ok := strings.Cut(l, "new master node: "); ok {
		// master_set from master_search inside the old master's down
		// callback, with nothing logged in between: the direct failover
		p.monLost = lastDown != "" && lastDown == p.master
		p.master = strings.TrimSuffix(rest, ".")
		p.orphaned = false
		return false
	}
	if i := strings.Index(l, " is down ("); i >= 0 {
		f := strings.Fields(l[:i])
		if len(f) > 0 {
			p.lastDown = f[len(f)-1]
			if p.monLost && p.lastDown == p.master && !p.orphaned {
				p.orphaned = true
				return true
			}
		}
	}
	return false
}

// chaosMon is one monitor a node holds on a port of another node.
type chaosMon struct {
	obs    *chaosInst
	port   string // the monitored port
	side   string // "sender" (on a receiver's inbox) or "receiver" (on a sender's stream port)
	fired  time.Time
	reason string
}

// chaosStats are what a run saw.
type chaosStats struct {
	kills, stops, restarts int
	delivered              int64
	streams                int // sender monitors set up
	senderFired            int // sender monitors fired
	receiverFired          int // receiver monitors fired
	excusedGaps            int // gaps after a receiver monitor fired (allowed)
	holes                  []chaosHole
	holeCount              int
	childErrors            []string
	reasons                map[string]int // "side: first word of the reason" -> monitors fired
	perlOrphaned           int            // Perl nodes hit by the master monitor bug
	perlGlobalBroken       int            // Perl nodes whose Global.pm died mid-update
	perlRestarted          int            // of them, restarted after the chaos
}

// chaosMesh is the set of nodes and everything learnt from them.
type chaosMesh struct {
	t        *testing.T
	family   string
	interval time.Duration
	start    time.Time

	mu      sync.Mutex
	nodes   []*chaosNode
	all     []*chaosInst
	stats   chaosStats
	faults  []*chaosFault
	streams map[string]*chaosStreamInfo // by sender port, for the failure report
}

// chaosHole is one violation of the no-holes invariant.
type chaosHole struct {
	at     time.Time
	in     *chaosInst // the receiver
	s      string     // the sender port
	what   string
	stream string // the stream's history when the message arrived
}

// describeHoles formats the holes, each with its stream's history then
// and now. Called with m.mu held.
func (m *chaosMesh) describeHoles() []string {
	var out []string
	for _, h := range m.stats.holes {
		out = append(out, fmt.Sprintf("%s at %s: %s (when it arrived: %s; at the end: %s)",
			h.in, m.since(h.at), h.what, h.stream, m.describeStream(h.s)))
	}
	if m.stats.holeCount > len(m.stats.holes) {
		out = append(out, fmt.Sprintf("... %d holes in all", m.stats.holeCount))
	}
	return out
}

// chaosStreamInfo is what the sender said about a stream.
type chaosStreamInfo struct {
	sender       *chaosInst
	to           string
	started, end time.Time
	reason       string
}

func (m *chaosMesh) describeStream(s string) string {
	st := m.streams[s]
	if st == nil {
		return "the sender never announced it"
	}
	d := fmt.Sprintf("stream of %s to %s, started at %s", st.sender, st.to, m.since(st.started))
	if st.end.IsZero() {
		return d + ", its monitor had not fired"
	}
	return d + fmt.Sprintf(", its monitor fired at %s with %s", m.since(st.end), st.reason)
}

// maxStderrLines is how many stderr lines of an incarnation are kept for
// the failure log: enough for a Go node's goroutine dump (dumpGoStacks).
const maxStderrLines = 2000

// startNode starts a new incarnation of nd and waits for its "ready" line.
func (m *chaosMesh) startNode(nd *chaosNode) (*chaosInst, error) {
	var cmd *exec.Cmd
	if nd.perl {
		cmd = exec.Command(perlCheck.perl, nd.prog, "test", m.family, strconv.FormatFloat(m.interval.Seconds(), 'f', -1, 64))
		cmd.Env = nd.home.Env("AE_VERBOSE=8") // node up/down and master changes, for the failure log
		cmd.Dir = nd.home.Dir
	} else {
		exe, err := os.Executable()
		if err != nil {
			return nil, err
		}
		cmd = exec.Command(exe)
		cmd.Env = append(os.Environ(), chaosChildEnv+"=1", "CHAOS_NODEID="+nd.name, "CHAOS_ADDR="+nd.addr,
			"CHAOS_SEEDS="+strings.Join(nd.seeds, ","), "CHAOS_FAMILY="+m.family, "CHAOS_INTERVAL="+m.interval.String())
	}
	m.mu.Lock()
	nd.starts++
	in := &chaosInst{node: nd, n: nd.starts, cmd: cmd, ready: make(chan struct{}), done: make(chan struct{}),
		last: map[string]int64{}, reset: map[string]bool{}, mons: map[string]*chaosMon{}, lastFrom: map[string]time.Time{}}
	m.mu.Unlock()
	stdin, stdout, stderr, err := StartGroup(cmd)
	if err != nil {
		return nil, err
	}
	in.stdin = stdin
	var readers sync.WaitGroup
	readers.Add(2)
	go func() { defer readers.Done(); m.readEvents(in, stdout) }()
	go func() { defer readers.Done(); m.readStderr(in, stderr) }()
	go func() {
		readers.Wait()
		err := cmd.Wait()
		m.mu.Lock()
		if !in.killed {
			m.stats.childErrors = append(m.stats.childErrors, fmt.Sprintf("%s exited by itself: %v", in, err))
		}
		m.mu.Unlock()
		close(in.done)
	}()
	m.mu.Lock()
	m.all = append(m.all, in)
	m.mu.Unlock()
	select {
	case <-in.ready:
	case <-in.done:
		return nil, fmt.Errorf("%s exited before it was ready:\n%s", in, m.stderrOf(in))
	case <-time.After(15 * time.Second):
		m.kill(in)
		return nil, fmt.Errorf("%s not ready after 15s:\n%s", in, m.stderrOf(in))
	}
	m.mu.Lock()
	nd.inst = in
	m.mu.Unlock()
	return in, nil
}

func (in *chaosInst) String() string {
	lang := "Go"
	if in.node.perl {
		lang = "Perl"
	}
	return fmt.Sprintf("%s node %s #%d (pid %d)", lang, in.node.name, in.n, in.cmd.Process.Pid)
}

// signal sends sig to the incarnation's process group.
func (in *chaosInst) signal(sig syscall.Signal) {
	syscall.Kill(-in.cmd.Process.Pid, sig)
}

// kill kills the incarnation (SIGKILL; a stopped process dies too) and
// waits until it has exited.
func (m *chaosMesh) kill(in *chaosInst) {
	m.mu.Lock()
	in.killed = true
	m.mu.Unlock()
	in.signal(syscall.SIGKILL)
	select {
	case <-in.done:
	case <-time.After(10 * time.Second):
		m.t.Errorf("%s did not exit after SIGKILL", in)
	}
}

// dumpGoStacks makes every running Go incarnation print its goroutines
// and exit (SIGQUIT), for the failure log of a mesh that hangs.
func (m *chaosMesh) dumpGoStacks() {
	m.mu.Lock()
	var gos []*chaosInst
	for _, in := range m.all {
		if !in.node.perl {
			in.killed = true
			gos = append(gos, in)
		}
	}
	m.mu.Unlock()
	for _, in := range gos {
		in.signal(syscall.SIGQUIT)
	}
	for _, in := range gos {
		select {
		case <-in.done:
		case <-time.After(5 * time.Second):
		}
	}
}

// closeAll kills every incarnation still running (test cleanup).
func (m *chaosMesh) closeAll() {
	m.mu.Lock()
	all := slices.Clone(m.all)
	m.mu.Unlock()
	for _, in := range all {
		select {
		case <-in.done:
		default:
			in.stdin.Close()
			m.kill(in)
		}
	}
}

func (m *chaosMesh) readStderr(in *chaosInst, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		m.mu.Lock()
		in.stderrSeen++
		if len(in.stderr) == maxStderrLines {
			in.stderr = in.stderr[1:]
		}
		in.stderr = append(in.stderr, line)
		if in.node.perl && strings.Contains(line, "Use of each() on hash after insertion") && !in.perl.globalBroken {
			in.perl.globalBroken = true
			m.stats.perlGlobalBroken++
			m.t.Logf("%s: %s: Global.pm died in the middle of a database update (AnyEvent::MP 2.02: each() on a hash it inserts into)",
				m.since(time.Now()), in)
		}
		if in.node.perl && in.perl.line(line) {
			m.stats.perlOrphaned++
			m.t.Logf("%s: %s lost its master %s after a direct failover: AnyEvent::MP 2.02 master monitor bug (see perlMasterState)",
				m.since(time.Now()), in, in.perl.master)
		}
		if strings.Contains(line, "DATA RACE") || strings.HasPrefix(line, "panic:") || strings.HasPrefix(line, "fatal error:") {
			m.stats.childErrors = append(m.stats.childErrors, fmt.Sprintf("%s: %s", in, line))
		}
		m.mu.Unlock()
	}
}

func (m *chaosMesh) stderrOf(in *chaosInst) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return "  " + strings.Join(in.stderr, "\n  ")
}

// chaosEvent is one line a chaos node prints.
type chaosEvent struct {
	Ev     string          `json:"ev"`
	Inbox  string          `json:"inbox"`
	Keys   []string        `json:"keys"`
	To     string          `json:"to"`
	S      string          `json:"s"`
	Q      json.Number     `json:"q"`
	Reason json.RawMessage `json:"reason"`
	Error  string          `json:"error"`
}

func (m *chaosMesh) readEvents(in *chaosInst, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var ev chaosEvent
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			m.mu.Lock()
			m.stats.childErrors = append(m.stats.childErrors, fmt.Sprintf("%s printed %q: %v", in, sc.Text(), err))
			m.mu.Unlock()
			continue
		}
		m.event(in, &ev, time.Now())
	}
}

// event takes in one observation of in, in the order in saw them.
func (m *chaosMesh) event(in *chaosInst, ev *chaosEvent, now time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch ev.Ev {
	case "ready":
		in.inbox = ev.Inbox
		close(in.ready)
	case "view":
		in.view = ev.Keys
	case "stream":
		m.stats.streams++
		if m.streams == nil {
			m.streams = map[string]*chaosStreamInfo{}
		}
		m.streams[ev.S] = &chaosStreamInfo{sender: in, to: ev.To, started: now}
		in.mons["s "+ev.S] = &chaosMon{obs: in, port: ev.To, side: "sender"}
	case "smon":
		m.stats.senderFired++
		if st := m.streams[ev.S]; st != nil {
			st.end, st.reason = now, string(ev.Reason)
		}
		m.fired(in, "s "+ev.S, ev, now)
	case "rwatch":
		in.mons["r "+ev.S] = &chaosMon{obs: in, port: ev.S, side: "receiver"}
	case "rmon":
		m.stats.receiverFired++
		in.reset[ev.S] = true
		m.fired(in, "r "+ev.S, ev, now)
	case "rcv":
		m.stats.delivered++
		m.checkSeq(in, ev.S, ev.Q, now)
	case "error":
		m.stats.childErrors = append(m.stats.childErrors, fmt.Sprintf("%s: %s", in, ev.Error))
	}
}

func (m *chaosMesh) fired(in *chaosInst, key string, ev *chaosEvent, now time.Time) {
	mon := in.mons[key]
	if mon == nil {
		return
	}
	delete(in.mons, key)
	mon.fired = now
	mon.reason = string(ev.Reason)
	var reason []any
	json.Unmarshal(ev.Reason, &reason)
	word := "normal kil"
	if len(reason) > 0 {
		word = fmt.Sprint(reason[0])
	}
	if m.stats.reasons == nil {
		m.stats.reasons = map[string]int{}
	}
	m.stats.reasons[mon.side+": "+word]++
}

// maxHolesKept bounds how many no-holes violations are kept for the
// report (all are counted).
const maxHolesKept = 20

// checkSeq is the no-holes invariant at a receiver (see TestChaos):
// from every sender port the receiver gets 1, 2, 3, ... in order; a gap
// is allowed only after its own monitor on that port fired.
func (m *chaosMesh) checkSeq(in *chaosInst, s string, qn json.Number, now time.Time) {
	q, err := qn.Int64()
	if err != nil {
		m.stats.childErrors = append(m.stats.childErrors, fmt.Sprintf("%s: sequence number %q from %s", in, qn, s))
		return
	}
	last, seen := in.last[s]
	excused := in.reset[s]
	var bad string
	switch {
	case q == last+1:
	case excused && q > last:
		m.stats.excusedGaps++
	case !seen:
		bad = fmt.Sprintf("the first message from %s is number %d", s, q)
	default:
		bad = fmt.Sprintf("message %d from %s after %d, and no monitor on %s fired in between", q, s, last, s)
	}
	if bad != "" {
		m.stats.holeCount++
		if len(m.stats.holes) < maxHolesKept {
			m.stats.holes = append(m.stats.holes, chaosHole{at: now, in: in, s: s, what: bad, stream: m.describeStream(s)})
		}
	}
	in.last[s] = q
	delete(in.reset, s)
	in.lastFrom[node.NodeOf(s)] = now
}

// since is a time as an offset from the start of the test.
func (m *chaosMesh) since(t time.Time) string {
	return t.Sub(m.start).Round(time.Millisecond).String()
}

// sampleRSS records each running process's resident set size (VmRSS in
// /proc/PID/status) in its node's maximum.
func (m *chaosMesh) sampleRSS() {
	m.mu.Lock()
	var live []*chaosInst
	for _, nd := range m.nodes {
		if nd.inst != nil {
			live = append(live, nd.inst)
		}
	}
	m.mu.Unlock()
	for _, in := range live {
		kib, ok := vmRSS(in.cmd.Process.Pid)
		if !ok {
			continue
		}
		m.mu.Lock()
		in.node.maxRSS = max(in.node.maxRSS, kib)
		m.mu.Unlock()
	}
}

// vmRSS reads a process's VmRSS in KiB.
func vmRSS(pid int) (uint64, bool) {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) == 0 {
				return 0, false
			}
			v, err := strconv.ParseUint(f[0], 10, 64)
			return v, err == nil
		}
	}
	return 0, false
}
