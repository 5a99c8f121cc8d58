package interop

import (
	"flag"
	"fmt"
	"math/rand/v2"
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

var (
	chaosDuration = flag.Duration("chaos.duration", 30*time.Second,
		"how long TestChaos kills, stops and restarts nodes (the short default runs in CI)")
	chaosSeed     = flag.Uint64("chaos.seed", 0, "TestChaos: the seed of the fault schedule (0: from the clock)")
	chaosInterval = flag.Duration("chaos.interval", 100*time.Millisecond,
		"TestChaos: how often every node sends one message to every other node")
	// The seeds are left alone by default: with seed faults, about one
	// short run in four ended with the Perl seed's and the Go seed's
	// databases split for good (each serving half of the nodes), on runs
	// that also met the Perl 2.02 global-service bugs described below; not
	// yet root-caused, so not part of the run CI depends on.
	chaosSeedFaults = flag.Bool("chaos.seedfaults", false,
		"TestChaos: also kill, stop and restart the two seed nodes")
)

const (
	// chaosKillBound is how long after a kill -9 every monitor on a port
	// of the killed node must have fired: the peers see the connection
	// close at once; a peer that was still connecting gives up after
	// monitor_timeout (30 s, Perl's and aemp-go's default).
	chaosKillBound = 35 * time.Second
	// chaosHungBound is how long after a SIGSTOP every Go node's monitor
	// on a port of the stopped node must have fired: hung-peer detection
	// (issue 9: a silent connection gets a `time` request after about
	// 10 s and fails 15-30 s later). The stopped node is resumed when they
	// all fired, at the latest after this. Perl 2.02 has no hung-peer
	// detection, so Perl nodes' monitors are not checked after a stop.
	chaosHungBound = 45 * time.Second
	// chaosConvergeWithin bounds how long after the chaos every node's
	// db_mon view takes to show exactly the inboxes of the nodes then
	// running. A Perl node that lost its seeds retries them with a backoff
	// of up to monitor_timeout (30 s).
	chaosConvergeWithin = 45 * time.Second
	// chaosTrafficWithin bounds how long after convergence every node
	// takes to receive a message from every other node (a sender restarts
	// a stream 1 s after its monitor fired).
	chaosTrafficWithin = 15 * time.Second
	// chaosMaxRSS is the memory bound: no node process (Go, built with
	// -race when the tests are, or Perl) may exceed this resident set.
	chaosMaxRSS = 200 << 10 // KiB
	// chaosMaxBusy is how many nodes may be down or stopped at once, so
	// that at least four of the six keep talking.
	chaosMaxBusy = 2
	chaosFamily  = "chaos_inbox"
)

// TestChaos runs a mixed mesh under faults and checks AEMP's promises.
//
// The mesh: a Perl seed and a Go seed (each lists both as seeds, so they
// are meshed global nodes), two Perl nodes and two Go nodes, all six
// separate processes with both seeds as seeds. Every node registers an
// inbox port in the family chaos_inbox (db_reg) and watches the family
// (db_mon); for every other inbox it sees it runs a stream: a fresh port
// S, a monitor on the inbox, and every -chaos.interval the message
// ["m", S, seq] with seq = 1, 2, 3, ... When the sender's monitor on the
// inbox fires, the stream ends for good (S is killed, nothing more is sent
// from S) and a new stream with a new port starts a second later. A
// receiver monitors S when S's first message arrives. See
// testdata/chaos_node.pl and chaos_child_test.go.
//
// The chaos: for -chaos.duration (30 s by default) a driver with a seeded
// random schedule (the seed is logged; -chaos.seed replays the choices,
// not the exact timing) picks, every 0.3-1.5 s, a node that is running
// and either kills it with SIGKILL and restarts it (same node ID and
// address) 0.3-3 s later, or stops it with SIGSTOP and resumes it with
// SIGCONT once every Go node's monitor on its ports fired (at most after
// 45 s). One Go node holding such monitors is the stop's witness: the
// driver leaves it alone until the stop ends, so that every stop is
// decided. The first fault is always a stop; later stops start only while
// 45 s of the run are left. At most two nodes are down or stopped at once,
// never both seeds.
//
// The checks, each a subtest:
//   - NoHoles: at every receiver incarnation, for every sender port S, the
//     sequence numbers delivered from S are 1, 2, 3, ... in order, without
//     gap, repetition or reordering; a jump forward is allowed only if the
//     receiver's own monitor on S fired after the previous delivery. (AEMP:
//     "after one message is lost, all following ones sent to the same port
//     are lost as well, until monitoring raises an error". The sender's
//     monitor is on the inbox; a stream never outlives it, so a correct
//     mesh never even needs the receiver-side excuse.)
//   - KilledPortMonitorsFired: after a node is killed, every monitor that a
//     running node held on a port of it fires within 35 s.
//   - HungPeerMonitorsFired: after a node is stopped, every monitor a
//     running Go node held on a port of it fires within 45 s. This needs
//     hung-peer detection in node/; without it this check fails.
//   - DbMonConverged: after the chaos (every node running again), every
//     node's db_mon view shows exactly the six inboxes of the running
//     incarnations within 45 s.
//   - TrafficResumed: then every node receives messages from every other
//     node within 15 s.
//   - MemoryBounded: no node process's RSS, sampled from /proc every
//     500 ms, exceeded 200 MiB.
//   - NoChildErrors: no node exited by itself, printed an error, panicked
//     or reported a data race.
//
// A check that could not decide (the observer was itself killed or
// stopped before its monitor fired) counts as inconclusive, not as a pass.
//
// Bugs of AnyEvent::MP 2.02 show up under this chaos; the test works
// around them, says so in its log and counts them, so that its checks stay
// about aemp-go:
//   - a Perl seed's mon on a port of a node whose address it does not know
//     yet never fires (testdata/chaos_node.pl's mon_checked fires it with
//     ["perl_bug_lost_monitor"], as a correct kernel would fire it with
//     the transport error);
//   - a Perl node whose master failed over directly to the other seed no
//     longer notices that master going down, and is then left without a
//     master for good (perlMasterState): such nodes are restarted after
//     the chaos, before the convergence check.
//
// A third one is seen on Perl seeds: Global.pm dies with "Use of each()
// on hash after insertion" while it updates the database of a node that
// left or (re)joined, leaving its database half updated. Such Perl nodes
// are restarted after the chaos too.
func TestChaos(t *testing.T) {
	RequirePerl(t)
	script, err := filepath.Abs(filepath.Join("testdata", "chaos_node.pl"))
	if err != nil {
		t.Fatal(err)
	}
	seed := *chaosSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("chaos seed %d, duration %v (replay the schedule: go test ./interop/ -run TestChaos -chaos.seed=%d -chaos.duration=%v)",
		seed, *chaosDuration, seed, *chaosDuration)

	m := &chaosMesh{t: t, family: chaosFamily, interval: *chaosInterval, start: time.Now()}
	pa, ga := FreeAddr(t), FreeAddr(t)
	seeds := []string{pa, ga}
	add := func(name string, perl, isSeed bool, addr string) {
		nd := &chaosNode{name: name, perl: perl, seed: isSeed, addr: addr, seeds: seeds}
		if addr == "" {
			nd.addr = FreeAddr(t)
		}
		if perl {
			nd.home = NewHome(t, &Spec{Profile: "test", NodeID: name, Secret: meshSecret, Addr: nd.addr, Seeds: seeds})
			nd.prog = script
		}
		m.nodes = append(m.nodes, nd)
	}
	add("chaos_pseed", true, true, pa)
	add("chaos_gseed", false, true, ga)
	add("chaos_p1", true, false, "")
	add("chaos_p2", true, false, "")
	add("chaos_g1", false, false, "")
	add("chaos_g2", false, false, "")
	t.Cleanup(func() {
		m.closeAll()
		if t.Failed() {
			m.logStderr()
		}
	})
	for _, nd := range m.nodes {
		if _, err := m.startNode(nd); err != nil {
			t.Fatal(err)
		}
	}
	stopSampling := m.sampleRSSEvery(500 * time.Millisecond)
	defer stopSampling()

	// the mesh is up: every view shows every inbox, messages flow
	t0 := time.Now()
	if d, ok := m.waitConverged(30 * time.Second); !ok {
		m.dumpGoStacks()
		t.Fatalf("the mesh never formed: %s", d)
	}
	if d, ok := m.waitTraffic(time.Now(), 15*time.Second); !ok {
		t.Fatalf("no traffic in the new mesh: %s", d)
	}
	t.Logf("%s: mesh of 6 up and talking after %v", m.since(time.Now()), time.Since(t0).Round(time.Millisecond))

	d := &chaosDriver{m: m, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	chaosStart := time.Now()
	d.run(*chaosDuration)
	m.restartOrphans()
	chaosEnd := time.Now()
	t.Logf("%s: chaos over after %v; every node running again", m.since(chaosEnd), chaosEnd.Sub(chaosStart).Round(time.Millisecond))

	convergeDetail, converged := m.waitConverged(chaosConvergeWithin)
	convergeTime := time.Since(chaosEnd)
	var trafficDetail string
	traffic := false
	if converged {
		t.Logf("%s: db_mon views converged %v after the chaos", m.since(time.Now()), convergeTime.Round(time.Millisecond))
		trafficDetail, traffic = m.waitTraffic(time.Now(), chaosTrafficWithin)
	}
	m.waitFaultChecks()
	stopSampling()

	m.mu.Lock()
	st := m.stats
	holes := m.describeHoles()
	res := m.faultResults()
	var rss []string
	over := []string{}
	for _, nd := range m.nodes {
		rss = append(rss, fmt.Sprintf("%s %.1f MiB", nd.name, float64(nd.maxRSS)/1024))
		if nd.maxRSS > chaosMaxRSS {
			over = append(over, fmt.Sprintf("%s: %.1f MiB", nd.name, float64(nd.maxRSS)/1024))
		}
	}
	m.mu.Unlock()
	t.Logf("saw: %d kills, %d stops, %d restarts; %d messages delivered; %d streams; monitors fired: %d sender-side, %d receiver-side; %d gaps excused by a receiver monitor",
		st.kills, st.stops, st.restarts, st.delivered, st.streams, st.senderFired, st.receiverFired, st.excusedGaps)
	t.Logf("monitor reasons: %v", st.reasons)
	t.Logf("Perl nodes hit by AnyEvent::MP 2.02 bugs: %d left without a master (master monitor bug), %d with Global.pm dead mid-update (each() bug); %d restarted after the chaos",
		st.perlOrphaned, st.perlGlobalBroken, st.perlRestarted)
	t.Logf("fault monitors: after kills %s; after stops %s", res["kill"], res["stop"])
	t.Logf("db_mon convergence after the chaos: %v (converged: %v); max RSS: %s", convergeTime.Round(time.Millisecond), converged, strings.Join(rss, ", "))

	t.Run("NoHoles", func(t *testing.T) {
		for _, h := range holes {
			t.Error(h)
		}
	})
	t.Run("KilledPortMonitorsFired", func(t *testing.T) { res["kill"].report(t, chaosKillBound) })
	t.Run("HungPeerMonitorsFired", func(t *testing.T) {
		if res["stop"].missed > 0 {
			t.Log("a stopped (hung) peer is only detected with hung-peer detection in node/ (issue 9)")
		}
		res["stop"].report(t, chaosHungBound)
		if r := res["stop"]; r.faults > 0 && r.fired+r.missed == 0 {
			t.Errorf("no stop was decided: every observer was itself disturbed")
		}
	})
	t.Run("DbMonConverged", func(t *testing.T) {
		if !converged {
			t.Errorf("db_mon views not converged %v after the chaos: %s", chaosConvergeWithin, convergeDetail)
		}
	})
	t.Run("TrafficResumed", func(t *testing.T) {
		if !converged {
			t.Skip("db_mon views did not converge")
		}
		if !traffic {
			t.Errorf("messages do not flow %v after convergence: %s", chaosTrafficWithin, trafficDetail)
		}
	})
	t.Run("MemoryBounded", func(t *testing.T) {
		for _, o := range over {
			t.Errorf("RSS over %d MiB: %s", chaosMaxRSS>>10, o)
		}
	})
	t.Run("NoChildErrors", func(t *testing.T) {
		for _, e := range st.childErrors {
			t.Error(e)
		}
	})
}

// restartOrphans restarts, as an operator would, every Perl node that the
// AnyEvent::MP 2.02 master monitor bug left without a master, or whose
// Global.pm died in the middle of a database update (see
// perlMasterState): neither recovers by itself, and the checks after the
// chaos are about aemp-go, not about those bugs.
func (m *chaosMesh) restartOrphans() {
	m.mu.Lock()
	var orphans []*chaosInst
	for _, nd := range m.nodes {
		if nd.perl && (nd.inst.perl.orphaned || nd.inst.perl.globalBroken) {
			orphans = append(orphans, nd.inst)
		}
	}
	m.mu.Unlock()
	for _, in := range orphans {
		m.kill(in)
		nin, err := m.startNode(in.node)
		if err != nil {
			m.t.Fatalf("restarting %s: %v", in.node.name, err)
		}
		m.mu.Lock()
		m.stats.perlRestarted++
		m.mu.Unlock()
		m.t.Logf("%s: %s was left broken by a Perl bug; restarted as %s", m.since(time.Now()), in, nin)
	}
}

// sampleRSSEvery samples the nodes' RSS until the returned function is
// called (which may be called more than once).
func (m *chaosMesh) sampleRSSEvery(d time.Duration) func() {
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(d)
		defer tick.Stop()
		for {
			m.sampleRSS()
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { close(stop); <-done }) }
}

// waitConverged waits until every running node's db_mon view is exactly
// the set of running nodes' inboxes.
func (m *chaosMesh) waitConverged(within time.Duration) (string, bool) {
	deadline := time.Now().Add(within)
	for {
		detail, ok := m.converged()
		if ok || time.Now().After(deadline) {
			return detail, ok
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *chaosMesh) converged() (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var want []string
	for _, nd := range m.nodes {
		want = append(want, nd.inst.inbox)
	}
	sort.Strings(want)
	var bad []string
	for _, nd := range m.nodes {
		got := slices.Clone(nd.inst.view)
		sort.Strings(got)
		if !slices.Equal(got, want) {
			bad = append(bad, fmt.Sprintf("%s sees %v", nd.inst, got))
		}
	}
	if len(bad) > 0 {
		return fmt.Sprintf("want %v; %s", want, strings.Join(bad, "; ")), false
	}
	return "", true
}

// waitTraffic waits until every running node has received a message from
// every other node after since.
func (m *chaosMesh) waitTraffic(since time.Time, within time.Duration) (string, bool) {
	deadline := time.Now().Add(within)
	for {
		detail, ok := m.talking(since)
		if ok || time.Now().After(deadline) {
			return detail, ok
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (m *chaosMesh) talking(since time.Time) (string, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var bad []string
	for _, r := range m.nodes {
		for _, s := range m.nodes {
			if r != s && !r.inst.lastFrom[s.name].After(since) {
				bad = append(bad, fmt.Sprintf("%s has nothing from %s", r.inst, s.name))
			}
		}
	}
	return strings.Join(bad, "; "), len(bad) == 0
}

// logStderr logs what every incarnation printed on stderr (the last
// lines), for a failed run.
func (m *chaosMesh) logStderr() {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, in := range m.all {
		if len(in.stderr) == 0 {
			continue
		}
		m.t.Logf("---- %s stderr (last %d of %d lines) ----\n  %s", in, len(in.stderr), in.stderrSeen, strings.Join(in.stderr, "\n  "))
	}
}

// chaosFault is one kill or stop and the monitors it must fire.
type chaosFault struct {
	kind    string // "kill" or "stop"
	target  *chaosInst
	at      time.Time
	bound   time.Duration
	mons    []*chaosMon
	witness *chaosInst // stop: a Go observer left alone until the stop ends
}

// snapshotFault records a fault of target about to happen: the monitors
// running nodes now hold on its ports (after a stop, Go nodes' only).
// Called with m.mu held.
func (m *chaosMesh) snapshotFault(kind string, target *chaosInst, bound time.Duration) *chaosFault {
	f := &chaosFault{kind: kind, target: target, at: time.Now(), bound: bound}
	for _, nd := range m.nodes {
		obs := nd.inst
		if nd == target.node || obs == nil || obs.killed || obs.stopped || (kind == "stop" && nd.perl) {
			continue
		}
		keys := make([]string, 0, len(obs.mons))
		for k := range obs.mons {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if mon := obs.mons[k]; node.NodeOf(mon.port) == target.node.name {
				f.mons = append(f.mons, mon)
			}
		}
	}
	m.faults = append(m.faults, f)
	return f
}

// verdict tells what became of one monitor a fault should fire: "fired",
// "inconclusive" (its node was killed or stopped before it fired, within
// the bound), "pending" or "missed". Called with m.mu held.
func (f *chaosFault) verdict(mon *chaosMon, now time.Time) (string, time.Duration) {
	end := f.at.Add(f.bound)
	for _, d := range mon.obs.disturbed {
		if !d.Before(f.at) && d.Before(end) && (mon.fired.IsZero() || d.Before(mon.fired)) {
			return "inconclusive", 0
		}
	}
	if !mon.fired.IsZero() {
		return "fired", max(0, mon.fired.Sub(f.at))
	}
	if now.Before(end) {
		return "pending", 0
	}
	return "missed", 0
}

// settled reports whether no monitor of f is pending.
func (f *chaosFault) settled(now time.Time) bool {
	for _, mon := range f.mons {
		if v, _ := f.verdict(mon, now); v == "pending" {
			return false
		}
	}
	return true
}

// waitFaultChecks waits until no fault has a monitor pending.
func (m *chaosMesh) waitFaultChecks() {
	for {
		m.mu.Lock()
		now, all := time.Now(), true
		for _, f := range m.faults {
			all = all && f.settled(now)
		}
		m.mu.Unlock()
		if all {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// faultResult sums up the monitors of every fault of one kind.
type faultResult struct {
	faults, mons, fired, inconclusive, missed int
	maxLatency                                time.Duration
	slowest                                   string // which monitor took maxLatency
	misses                                    []string
}

func (r *faultResult) String() string {
	return fmt.Sprintf("%d faults, %d monitors: %d fired (slowest after %v%s), %d inconclusive, %d missed",
		r.faults, r.mons, r.fired, r.maxLatency.Round(time.Millisecond), r.slowest, r.inconclusive, r.missed)
}

func (r *faultResult) report(t *testing.T, bound time.Duration) {
	t.Helper()
	t.Log(r)
	for _, s := range r.misses {
		t.Errorf("not fired within %v: %s", bound, s)
	}
}

// faultResults sums up every fault by kind. Called with m.mu held.
func (m *chaosMesh) faultResults() map[string]*faultResult {
	res := map[string]*faultResult{"kill": {}, "stop": {}}
	now := time.Now()
	for _, f := range m.faults {
		r := res[f.kind]
		r.faults++
		for _, mon := range f.mons {
			r.mons++
			v, lat := f.verdict(mon, now)
			switch v {
			case "fired":
				r.fired++
				if lat > r.maxLatency {
					r.maxLatency = lat
					r.slowest = fmt.Sprintf(": %s of %s at %s, %s's %s monitor on %s", f.kind, f.target, m.since(f.at), mon.obs, mon.side, mon.port)
				}
			case "inconclusive":
				r.inconclusive++
			default:
				r.missed++
				if len(r.misses) < maxHolesKept {
					r.misses = append(r.misses, fmt.Sprintf("%s of %s at %s: %s's %s monitor on %s",
						f.kind, f.target, m.since(f.at), mon.obs, mon.side, mon.port))
				}
			}
		}
	}
	return res
}

// chaosDriver runs the fault schedule.
type chaosDriver struct {
	m   *chaosMesh
	rng *rand.Rand
	wg  sync.WaitGroup
}

// between returns a random duration in [lo, hi).
func (d *chaosDriver) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(d.rng.Int64N(int64(hi-lo)))
}

// run disturbs the mesh for dur, then waits until every fault has ended
// (every killed node restarted, every stopped node resumed).
func (d *chaosDriver) run(dur time.Duration) {
	m := d.m
	end := time.Now().Add(dur)
	first := true
	for time.Now().Before(end) {
		if !first {
			time.Sleep(d.between(300*time.Millisecond, 1500*time.Millisecond))
		}
		stop := first || (d.rng.IntN(4) == 0 && time.Until(end) >= chaosHungBound)
		m.mu.Lock()
		nd := d.pick()
		if nd == nil {
			m.mu.Unlock()
			continue
		}
		first = false
		nd.busy = true
		in := nd.inst
		if stop {
			m.stats.stops++
			f := m.snapshotFault("stop", in, chaosHungBound)
			f.witness = d.pickWitness(f)
			in.stopped = true
			in.disturbed = append(in.disturbed, f.at)
			in.signal(syscall.SIGSTOP)
			m.t.Logf("%s: SIGSTOP %s (%d Go monitors on its ports; witness %v)", m.since(f.at), in, len(f.mons), f.witness)
			d.wg.Add(1)
			go d.hold(f)
		} else {
			m.stats.kills++
			f := m.snapshotFault("kill", in, chaosKillBound)
			in.killed = true
			in.disturbed = append(in.disturbed, f.at)
			delay := d.between(300*time.Millisecond, 3*time.Second)
			m.t.Logf("%s: SIGKILL %s (%d monitors on its ports), restart in %v", m.since(f.at), in, len(f.mons), delay.Round(time.Millisecond))
			d.wg.Add(1)
			go d.restart(in, delay)
		}
		m.mu.Unlock()
	}
	d.wg.Wait()
}

// pick chooses a node to disturb: a running one that is no stop's
// witness, at most chaosMaxBusy busy at once, never both seeds. Called
// with m.mu held.
func (d *chaosDriver) pick() *chaosNode {
	busy, seedBusy := 0, false
	for _, nd := range d.m.nodes {
		if nd.busy {
			busy++
			seedBusy = seedBusy || nd.seed
		}
	}
	if busy >= chaosMaxBusy {
		return nil
	}
	var can []*chaosNode
	for _, nd := range d.m.nodes {
		if nd.seed && !*chaosSeedFaults {
			continue
		}
		if !nd.busy && nd.witness == 0 && !(nd.seed && seedBusy) {
			can = append(can, nd)
		}
	}
	if len(can) == 0 {
		return nil
	}
	return can[d.rng.IntN(len(can))]
}

// pickWitness chooses, among the Go nodes holding monitors on the
// stopped node's ports, one that the driver leaves alone until the stop
// ends, so that every stop is decided by at least one observer. Called
// with m.mu held.
func (d *chaosDriver) pickWitness(f *chaosFault) *chaosInst {
	var can []*chaosInst
	for _, mon := range f.mons {
		if !slices.Contains(can, mon.obs) {
			can = append(can, mon.obs)
		}
	}
	if len(can) == 0 {
		return nil
	}
	w := can[d.rng.IntN(len(can))]
	w.node.witness++
	return w
}

// restart kills in (its monitors' snapshot was taken) and starts the
// node again after delay.
func (d *chaosDriver) restart(in *chaosInst, delay time.Duration) {
	defer d.wg.Done()
	m := d.m
	m.kill(in)
	time.Sleep(delay)
	var err error
	for try := 0; try < 3; try++ {
		var nin *chaosInst
		if nin, err = m.startNode(in.node); err == nil {
			m.mu.Lock()
			m.stats.restarts++
			in.node.busy = false
			m.mu.Unlock()
			m.t.Logf("%s: restarted as %s", m.since(time.Now()), nin)
			return
		}
		time.Sleep(500 * time.Millisecond)
	}
	m.t.Errorf("restarting %s: %v", in.node.name, err)
}

// hold keeps f's target stopped until every monitor of the snapshot has
// fired (or cannot be decided), at most chaosHungBound, then resumes it.
func (d *chaosDriver) hold(f *chaosFault) {
	defer d.wg.Done()
	m := d.m
	for {
		time.Sleep(200 * time.Millisecond)
		m.mu.Lock()
		done := f.settled(time.Now())
		m.mu.Unlock()
		if done && time.Since(f.at) >= time.Second {
			break
		}
	}
	m.mu.Lock()
	f.target.stopped = false
	f.target.node.busy = false
	if f.witness != nil {
		f.witness.node.witness--
	}
	m.mu.Unlock()
	f.target.signal(syscall.SIGCONT)
	m.t.Logf("%s: SIGCONT %s after %v", m.since(time.Now()), f.target, time.Since(f.at).Round(time.Millisecond))
}
