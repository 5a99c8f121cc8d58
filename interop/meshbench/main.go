// Command meshbench measures every AEMP path side by side in one run and
// prints a table: one-way throughput Go->Go, Go->Perl, Perl->Go and
// Perl->Perl (JSON and CBOR) with the receiver's own CPU time per message,
// the same frames over plain TCP as the reference, and round trips
// between two processes (Go, Perl, raw TCP). Every sender and receiver is
// its own OS process on 127.0.0.1; the Go ones are this binary re-executed
// as `meshbench child <role>`. Paths run interleaved (A B C ... A B C ...)
// for -rounds rounds, so that load on a shared machine spreads over all of
// them, and each row shows min / median / max; ratios are taken within a
// round, then summarised the same way.
//
//	go run ./interop/meshbench                      # everything, 3 rounds
//	go run ./interop/meshbench -only perl-go,perl-perl -framing json -rounds 5
//	go run ./interop/meshbench -json > bench.json   # machine-readable
//
// The Perl paths need Perl AnyEvent::MP 2.02 (`perl -MAnyEvent::MP`); without
// it they are skipped with one line saying so.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/aemp-go/aemp-go/interop"
	"github.com/aemp-go/aemp-go/protocol"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(runChild(os.Args[2:]))
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sig
		stopAll()
		os.Exit(130)
	}()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command-line flags.
type options struct {
	rounds       int
	n            int // messages per one-way run with a Perl process
	nGo          int // messages per Go->Go run
	nRaw         int // frames per raw TCP run
	rttN         int
	rttWarm      int
	framings     []string
	only         []string
	jsonOut      bool
	window       int
	gomaxprocs   int
	cpuprofile   string
	perf         string // perf stat events for the receivers, "" for none
	variants     []*variant
	timeout      time.Duration
	startTimeout time.Duration

	from    string // -from: print the summary of a saved -json run
	cpus    string // -cpus: taskset CPU list for every process, "" for none
	taskset string // path of taskset

	exe  string // the binary the Go children run
	perl string // "" when the Perl paths are skipped
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{startTimeout: 15 * time.Second}
	fs := flag.NewFlagSet("meshbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.rounds, "rounds", 3, "interleaved rounds (every selected path once per round)")
	fs.IntVar(&o.n, "n", 200_000, "messages per one-way run that involves Perl")
	fs.IntVar(&o.nGo, "n-go", 2_000_000, "messages per Go->Go one-way run")
	fs.IntVar(&o.nRaw, "n-raw", 20_000_000, "frames per raw TCP run")
	fs.IntVar(&o.rttN, "rtt-n", 20_000, "round trips per round-trip run")
	fs.IntVar(&o.rttWarm, "rtt-warm", 1_000, "untimed round trips before each round-trip run")
	framing := fs.String("framing", "json,cbor", "framings to run, comma-separated")
	only := fs.String("only", "", "run only these paths, comma-separated: "+pathNames()+
		" (a prefix before '-' selects a group: rtt, go, perl)")
	fs.BoolVar(&o.jsonOut, "json", false, "print every result and the summary as JSON instead of the table")
	fs.IntVar(&o.window, "window", 100_000, "Go senders wait for an acknowledgement (a ping) of all but the last window of this many messages (0: never), so a Go sender never queues more than two windows")
	fs.IntVar(&o.gomaxprocs, "gomaxprocs", 0, "GOMAXPROCS of the Go processes (0: Go's default)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "directory for CPU profiles of the Go receivers' receive windows")
	fs.StringVar(&o.perf, "perf", "", "count these `perf stat` events in each one-way receiver (comma-separated, e.g. context-switches,cpu-migrations,raw_syscalls:sys_enter); needs perf")
	fs.Func("variant", "also run the Go nodes as `name=[binary] [KEY=value ...]`: another meshbench build and/or environment, in the same rounds, with its own rows and ratios (repeatable)", func(s string) error {
		v, err := parseVariant(s)
		if err == nil {
			o.variants = append(o.variants, v)
		}
		return err
	})
	fs.StringVar(&o.cpus, "cpus", "", "run every sender and receiver on these CPUs (`taskset -c LIST`, e.g. 0 for all on one CPU)")
	fs.StringVar(&o.from, "from", "", "measure nothing: print the table of a run saved with -json")
	fs.DurationVar(&o.timeout, "timeout", 3*time.Minute, "longest wait for one run to finish")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if o.rounds < 1 || o.n < 2 || o.nGo < 2 || o.nRaw < 2 || o.rttN < 1 {
		return nil, fmt.Errorf("-rounds must be at least 1, -n, -n-go and -n-raw at least 2, -rtt-n at least 1")
	}
	for _, f := range strings.Split(*framing, ",") {
		if _, err := protocol.Appender(f); err != nil {
			return nil, fmt.Errorf("-framing: %w", err)
		}
		o.framings = append(o.framings, f)
	}
	if *only != "" {
		o.only = strings.Split(*only, ",")
		for _, name := range o.only {
			found := false
			for _, p := range paths {
				found = found || p.selected([]string{name})
			}
			if !found {
				return nil, fmt.Errorf("-only: no path %q (paths: %s)", name, pathNames())
			}
		}
	}
	if o.cpus != "" {
		var err error
		if o.taskset, err = exec.LookPath("taskset"); err != nil {
			return nil, fmt.Errorf("-cpus: %w", err)
		}
	}
	if o.cpuprofile != "" {
		if err := os.MkdirAll(o.cpuprofile, 0o755); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func pathNames() string {
	var names []string
	for _, p := range paths {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

// run is the orchestrator: it measures every selected path and framing
// once per round, in the same order each round, and prints the summary.
func run(args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if err != nil {
		if err != flag.ErrHelp {
			fmt.Fprintln(stderr, "meshbench:", err)
		}
		return 2
	}
	if o.from != "" {
		return reprint(o, stdout, stderr)
	}
	if o.exe == "" {
		if o.exe, err = os.Executable(); err != nil {
			fmt.Fprintln(stderr, "meshbench:", err)
			return 1
		}
	}
	var todo []path
	skipPerl := ""
	for _, p := range paths {
		if !p.selected(o.only) {
			continue
		}
		if p.usesPerl() && o.perl == "" && skipPerl == "" {
			o.perl, skipPerl = interop.FindPerl()
		}
		if p.usesPerl() && skipPerl != "" {
			continue
		}
		todo = append(todo, p)
		if p.hasGoNode() {
			for _, v := range o.variants {
				pv := p
				pv.variant = v
				todo = append(todo, pv)
			}
		}
	}
	if skipPerl != "" {
		fmt.Fprintf(stderr, "meshbench: Perl paths skipped: %s\n", skipPerl)
	}
	env := environment(o)
	fmt.Fprintf(stderr, "meshbench: %s\n", env.String())
	var results []*result
	failed := false
	for round := 1; round <= o.rounds; round++ {
		for _, p := range todo {
			for _, f := range o.framings {
				r, err := o.measure(p, f, round)
				if err != nil {
					fmt.Fprintf(stderr, "meshbench: round %d %s %s: %v\n", round, p.key(), f, err)
					failed = true
					continue
				}
				fmt.Fprintf(stderr, "meshbench: round %d %-9s %-4s %s\n", round, p.key(), f, r.brief())
				results = append(results, r)
			}
		}
	}
	env.LoadAfter = loadAvg()
	report(o, env, todo, results, stdout)
	if failed {
		return 1
	}
	return 0
}

// saved is the -json output.
type saved struct {
	Env     *runEnv   `json:"env"`
	Rows    []row     `json:"rows"`
	Ratios  []ratio   `json:"ratios"`
	Results []*result `json:"results"`
}

func report(o *options, env *runEnv, todo []path, results []*result, stdout io.Writer) {
	s := summarise(o, todo, results)
	if o.jsonOut {
		e := json.NewEncoder(stdout)
		e.SetIndent("", "  ")
		e.Encode(saved{env, s.rows, s.ratios, results})
		return
	}
	s.print(stdout, env)
}

// reprint summarises a saved run again (-from).
func reprint(o *options, stdout, stderr io.Writer) int {
	b, err := os.ReadFile(o.from)
	var sv saved
	if err == nil {
		err = json.Unmarshal(b, &sv)
	}
	if err == nil && sv.Env == nil {
		err = fmt.Errorf("no \"env\" in %s: not the output of -json", o.from)
	}
	if err != nil {
		fmt.Fprintln(stderr, "meshbench:", err)
		return 1
	}
	o.rounds, o.framings, o.variants = sv.Env.Rounds, sv.Env.Framings, nil
	variants := map[string]*variant{}
	var todo []path
	seen := map[string]bool{}
	for _, r := range sv.Results {
		if seen[r.Path] {
			continue
		}
		seen[r.Path] = true
		name, vname, _ := strings.Cut(r.Path, "@")
		for _, p := range paths {
			if p.name != name {
				continue
			}
			if vname != "" {
				if variants[vname] == nil {
					variants[vname] = &variant{name: vname}
					o.variants = append(o.variants, variants[vname])
				}
				p.variant = variants[vname]
			}
			todo = append(todo, p)
		}
	}
	report(o, sv.Env, todo, sv.Results, stdout)
	return 0
}

// runEnv describes the conditions of a run.
type runEnv struct {
	Rounds     int      `json:"rounds"`
	CPUs       int      `json:"cpus"`
	GOMAXPROCS int      `json:"gomaxprocs"` // 0: Go's default (CPUs)
	Window     int      `json:"window"`
	Framings   []string `json:"framings"`
	LoadBefore string   `json:"load_before"`
	LoadAfter  string   `json:"load_after"`
	Perl       string   `json:"perl,omitempty"`
	Pinned     string   `json:"taskset_cpus,omitempty"` // -cpus
}

func environment(o *options) *runEnv {
	return &runEnv{Rounds: o.rounds, CPUs: runtime.NumCPU(), GOMAXPROCS: o.gomaxprocs, Window: o.window,
		Framings: o.framings, LoadBefore: loadAvg(), Perl: o.perl, Pinned: o.cpus}
}

func (e *runEnv) String() string {
	procs := "default"
	if e.GOMAXPROCS > 0 {
		procs = fmt.Sprint(e.GOMAXPROCS)
	}
	s := fmt.Sprintf("%d rounds interleaved, %d CPUs, GOMAXPROCS %s, load %s", e.Rounds, e.CPUs, procs, e.LoadBefore)
	if e.Pinned != "" {
		s = strings.Replace(s, "CPUs,", "CPUs (processes on CPU "+e.Pinned+"),", 1)
	}
	if e.LoadAfter != "" {
		s += " (after: " + e.LoadAfter + ")"
	}
	return s
}

// loadAvg returns the 1, 5 and 15 minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
