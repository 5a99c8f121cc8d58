package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aemp-go/aemp-go/interop"
)

// kind is what a path measures.
type kind string

const (
	oneWay kind = "oneway" // msgs/s and receiver CPU, sender and receiver nodes
	rawWay kind = "raw"    // frames/s of the same bytes over plain TCP
	rtt    kind = "rtt"    // round trips between two processes
)

// path is one row of the table (per framing).
type path struct {
	name     string // what -only selects
	kind     kind
	sender   string // "go" or "perl"
	receiver string
	variant  *variant // the Go nodes of this row run a -variant, nil for this build
}

// variant is another build (or environment) of the Go node processes,
// measured in the same rounds as this one (-variant).
type variant struct {
	name string
	exe  string   // "" for this binary
	env  []string // added to the environment, e.g. GOMAXPROCS=1
}

// parseVariant parses "name=[binary] [KEY=value ...]".
func parseVariant(s string) (*variant, error) {
	name, spec, ok := strings.Cut(s, "=")
	if !ok || name == "" || strings.ContainsAny(name, "@ ") {
		return nil, fmt.Errorf("-variant %q: want name=[binary] [KEY=value ...]", s)
	}
	v := &variant{name: name}
	for _, f := range strings.Fields(spec) {
		if strings.Contains(f, "=") {
			v.env = append(v.env, f)
		} else if v.exe == "" {
			v.exe = f
		} else {
			return nil, fmt.Errorf("-variant %q: two binaries", s)
		}
	}
	return v, nil
}

// hasGoNode reports whether a Go node runs in p (what a variant changes).
func (p path) hasGoNode() bool {
	return p.kind != rawWay && (p.sender == "go" || p.receiver == "go")
}

// key names the row: the path, and "@variant" for a variant's.
func (p path) key() string {
	if p.variant != nil {
		return p.name + "@" + p.variant.name
	}
	return p.name
}

// paths lists every path in the order they run within a round.
var paths = []path{
	{"go-go", oneWay, "go", "go", nil},
	{"go-perl", oneWay, "go", "perl", nil},
	{"perl-go", oneWay, "perl", "go", nil},
	{"perl-perl", oneWay, "perl", "perl", nil},
	{"raw", rawWay, "go", "go", nil},
	{"rtt-go", rtt, "go", "go", nil},
	{"rtt-perl", rtt, "perl", "perl", nil},
	{"rtt-raw", rtt, "raw", "raw", nil},
}

func (p path) usesPerl() bool { return p.sender == "perl" || p.receiver == "perl" }

// label is the row name in the table.
func (p path) label() string {
	l := p.sender + "->" + p.receiver
	switch p.kind {
	case rawWay:
		l = "raw TCP"
	case rtt:
		l = strings.TrimPrefix(p.name, "rtt-") + "<->" + strings.TrimPrefix(p.name, "rtt-")
	}
	if p.variant != nil {
		l += " [" + p.variant.name + "]"
	}
	return l
}

// selected reports whether -only picks p: by name ("perl-go") or by the
// part before the dash ("rtt" picks every round trip).
func (p path) selected(only []string) bool {
	if len(only) == 0 {
		return true
	}
	for _, o := range only {
		if o == p.name || strings.HasPrefix(p.name, o+"-") {
			return true
		}
	}
	return false
}

// result is one measurement: one path, one framing, one round.
type result struct {
	Path    string `json:"path"`
	Framing string `json:"framing"`
	Round   int    `json:"round"`
	// one way and raw: messages (frames) counted at the receiver and the
	// window from the first to the last; the rate is over the messages
	// after the first
	Msgs    int     `json:"msgs,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
	Rate    float64 `json:"msgs_per_s,omitempty"`
	// the receiver's own CPU time (user + system) and context switches
	// over the window
	CPUPerMsg float64 `json:"recv_cpu_ns_per_msg,omitempty"`
	Vol       int64   `json:"recv_voluntary_cs,omitempty"`
	Invol     int64   `json:"recv_nonvoluntary_cs,omitempty"`
	// round trips, microseconds
	RTTs int     `json:"rtts,omitempty"`
	Mean float64 `json:"rtt_mean_us,omitempty"`
	P50  float64 `json:"rtt_p50_us,omitempty"`
	P99  float64 `json:"rtt_p99_us,omitempty"`
	Max  float64 `json:"rtt_max_us,omitempty"`
	// a Perl sender: bytes still in its write buffer when its send loop
	// ended (0: each message went out in its own write); -1 for Go
	// senders, whose queue is not looked at
	SenderQueued int64 `json:"sender_queued_bytes,omitempty"`
	// a Perl sender: how long its send loop took (when it is the
	// bottleneck, about the receive window)
	SenderSeconds float64 `json:"sender_loop_seconds,omitempty"`
	// the sender's CPU time (user + system) over its send loop, per message
	SenderCPUPerMsg float64 `json:"sender_cpu_ns_per_msg,omitempty"`
	// -perf: the receiver's and the sender's counts from `perf stat`, per
	// 1000 messages
	Perf       map[string]float64 `json:"recv_perf_per_1k_msgs,omitempty"`
	SenderPerf map[string]float64 `json:"sender_perf_per_1k_msgs,omitempty"`
}

// pair is the processes of one measurement.
type pair struct{ receiver, sender *proc }

func (pr *pair) stop() {
	for _, p := range []*proc{pr.sender, pr.receiver} {
		if p != nil {
			p.stop()
		}
	}
}

// measure runs one path with one framing once.
func (o *options) measure(p path, framing string, round int) (*result, error) {
	r := &result{Path: p.key(), Framing: framing, Round: round}
	var pr pair
	defer pr.stop()
	n := o.n
	switch {
	case p.kind == rtt:
		n = 0 // the receiver counts nothing
	case p.kind == rawWay:
		n = o.nRaw
	case p.sender == "go" && p.receiver == "go":
		n = o.nGo
	}
	if err := o.startPair(&pr, p, framing, n, round); err != nil {
		return nil, err
	}
	if p.kind != rawWay && p.sender != "raw" { // raw TCP has nothing to warm up
		if err := warm(&pr); err != nil {
			return nil, err
		}
	}
	if p.kind == rtt {
		return r, o.measureRTT(&pr, r)
	}
	return r, o.measureOneWay(&pr, p, n, r)
}

// measureRTT runs the untimed and then the timed round trips.
func (o *options) measureRTT(pr *pair, r *result) error {
	if o.rttWarm > 0 {
		if _, err := o.roundTrips(pr, o.rttWarm); err != nil {
			return err
		}
	}
	f, err := o.roundTrips(pr, o.rttN)
	if err != nil {
		return err
	}
	r.RTTs, r.Mean, r.P50, r.P99, r.Max = o.rttN, f[0], f[1], f[2], f[3]
	return nil
}

// measureOneWay has the sender send n messages and reads the receive
// window from the receiver, and what the sender says about its loop.
func (o *options) measureOneWay(pr *pair, p path, n int, r *result) error {
	var rps, sps *perfStat
	if o.perf != "" && p.kind == oneWay {
		var err error
		if rps, err = startPerf(o.perf, pr.receiver); err == nil {
			sps, err = startPerf(o.perf, pr.sender)
		}
		if err != nil {
			if rps != nil {
				rps.stop()
			}
			return err
		}
	}
	f, err := o.ask(pr.sender, fmt.Sprintf("send %d", n), pr.receiver, "done ")
	if rps != nil { // both over the same window: until the receiver has all
		r.Perf, err = perfPer1k(rps, n, err)
		r.SenderPerf, err = perfPer1k(sps, n, err)
	}
	if err != nil {
		return err
	}
	r.Msgs, r.Seconds = int(f[0]), f[1]
	if r.Msgs < 2 || r.Seconds <= 0 {
		return fmt.Errorf("%s: window too small to measure: %v", pr.receiver.name, f)
	}
	r.Rate = float64(r.Msgs-1) / r.Seconds
	r.CPUPerMsg = f[2] * 1e9 / float64(r.Msgs-1)
	r.Vol, r.Invol = int64(f[3]), int64(f[4])
	// "sent N <queued bytes> <seconds> <cpu seconds>" (raw senders: "sent N")
	if line, err := pr.sender.waitLine("sent ", 10*time.Second); err == nil {
		if f := strings.Fields(line); len(f) == 5 {
			r.SenderQueued, _ = strconv.ParseInt(f[2], 10, 64)
			r.SenderSeconds, _ = strconv.ParseFloat(f[3], 64)
			cpu, _ := strconv.ParseFloat(f[4], 64)
			r.SenderCPUPerMsg = cpu * 1e9 / float64(n)
		}
	}
	return nil
}

// perfPer1k stops ps and returns its counts per 1000 of n messages; err
// is the error so far, which the first error of perf joins.
func perfPer1k(ps *perfStat, n int, err error) (map[string]float64, error) {
	counts, perr := ps.stop()
	if err == nil {
		err = perr
	}
	per := map[string]float64{}
	for k, v := range counts {
		per[k] = v * 1000 / float64(n)
	}
	return per, err
}

// startPair starts the receiver (a node with port recv#bench, or a raw
// TCP listener) and then the sender connected to it.
func (o *options) startPair(pr *pair, p path, framing string, n, round int) error {
	raddr, err := freeAddr()
	if err != nil {
		return err
	}
	saddr, err := freeAddr()
	if err != nil {
		return err
	}
	nflag := "-n=" + strconv.Itoa(n)
	switch {
	case p.kind == rawWay:
		pr.receiver, err = o.startGo(nil, "rawrecv", "-addr="+raddr, "-framing="+framing, nflag)
	case p.kind == rtt && p.receiver == "raw":
		pr.receiver, err = o.startGo(nil, "rawpong", "-addr="+raddr, "-framing="+framing)
	case p.receiver == "go":
		flags := []string{"-addr=" + raddr, "-framing=" + framing, nflag}
		if o.cpuprofile != "" && n > 0 {
			flags = append(flags, fmt.Sprintf("-cpuprofile=%s/%s-%s-%d.pprof", o.cpuprofile, p.key(), framing, round))
		}
		pr.receiver, err = o.startGo(p.variant, "recv", flags...)
	default:
		pr.receiver, err = o.startPerl("meshbench_recv.pl", interop.Spec{NodeID: recvNode, Addr: raddr,
			Framings: []string{framing}, Args: []string{strconv.Itoa(n)}})
	}
	if err != nil {
		return err
	}
	if _, err := pr.receiver.waitLine("ready", o.startTimeout); err != nil {
		return err
	}
	switch {
	case p.kind == rawWay:
		pr.sender, err = o.startGo(nil, "rawsend", "-seed="+raddr, "-framing="+framing)
	case p.kind == rtt && p.sender == "raw":
		pr.sender, err = o.startGo(nil, "rawping", "-seed="+raddr, "-framing="+framing)
	case p.sender == "go":
		flags := []string{"-addr=" + saddr, "-seed=" + raddr, "-framing=" + framing, "-window=" + strconv.Itoa(o.window)}
		if o.cpuprofile != "" && n > 0 {
			flags = append(flags, fmt.Sprintf("-cpuprofile=%s/%s-%s-%d-send.pprof", o.cpuprofile, p.key(), framing, round))
		}
		pr.sender, err = o.startGo(p.variant, "send", flags...)
	default:
		pr.sender, err = o.startPerl("meshbench_send.pl", interop.Spec{NodeID: sendNode, Addr: saddr,
			Framings: []string{framing}, Seeds: []string{raddr}, Args: []string{benchPort}})
	}
	if err != nil {
		return err
	}
	_, err = pr.sender.waitLine("ready", o.startTimeout)
	return err
}

// warm sends ["warm"] until the receiver saw one: the connection is up
// and the first message has gone through before anything is timed.
func warm(pr *pair) error {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if err := pr.sender.send("warm"); err != nil {
			return err
		}
		if _, err := pr.receiver.waitLine("warm", 250*time.Millisecond); err == nil {
			return nil
		}
	}
	return fmt.Errorf("%s never saw a message from %s", pr.receiver.name, pr.sender.name)
}

// roundTrips runs k round trips and returns mean, p50, p99, max.
func (o *options) roundTrips(pr *pair, k int) ([]float64, error) {
	f, err := o.ask(pr.sender, fmt.Sprintf("rtt %d", k), pr.sender, "rtt ")
	if err != nil {
		return nil, err
	}
	return f[1:], nil
}

// ask sends cmd to one process and returns the five numbers of the line
// starting with reply that it or another process prints.
func (o *options) ask(to *proc, cmd string, from *proc, reply string) ([]float64, error) {
	if err := to.send(cmd); err != nil {
		return nil, err
	}
	line, err := from.waitLine(reply, o.timeout)
	if err != nil {
		return nil, err
	}
	return fields(line, 5)
}

// fields parses "<word> <k numbers>".
func fields(line string, k int) ([]float64, error) {
	f := strings.Fields(line)
	if len(f) != k+1 {
		return nil, fmt.Errorf("unexpected line %q", line)
	}
	v := make([]float64, k)
	for i, s := range f[1:] {
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("unexpected line %q", line)
		}
		v[i] = x
	}
	return v, nil
}
