package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/aemp-go/aemp-go/interop"
)

// The test binary doubles as the Go child processes, as the command does.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "child" {
		os.Exit(runChild(os.Args[2:]))
	}
	os.Exit(m.Run())
}

// runJSON runs the orchestrator with tiny counts and returns its JSON.
func runJSON(t *testing.T, only string) (rows []row, results []*result) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	args := []string{"-json", "-rounds=2", "-n=300", "-n-go=3000", "-n-raw=3000", "-window=1000",
		"-rtt-n=50", "-rtt-warm=5", "-timeout=1m", "-only=" + only}
	if code := run(args, &stdout, &stderr); code != 0 {
		t.Fatalf("meshbench %s: exit %d\n%s", strings.Join(args, " "), code, stderr.String())
	}
	var out struct {
		Rows    []row
		Results []*result
	}
	if err := json.Unmarshal(stdout.Bytes(), &out); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, stdout.String())
	}
	return out.Rows, out.Results
}

// checkRows checks that every path ran twice per framing and measured
// something: a rate and a CPU time for one-way rows, latencies for round
// trips.
func checkRows(t *testing.T, rows []row, results []*result, want []string) {
	t.Helper()
	for _, p := range want {
		for _, f := range []string{"json", "cbor"} {
			n := 0
			for _, r := range results {
				if r.Path == p && r.Framing == f {
					n++
				}
			}
			if n != 2 {
				t.Errorf("%s %s: %d results, want 2 (one per round)", p, f, n)
			}
		}
	}
	if len(rows) != 2*len(want) {
		t.Errorf("%d rows, want %d", len(rows), 2*len(want))
	}
	for _, r := range rows {
		switch {
		case strings.HasPrefix(r.Path, "rtt-"):
			if r.P50 == nil || r.P50.Min <= 0 || r.P99.Median < r.P50.Median {
				t.Errorf("%s %s: implausible round trips %+v %+v", r.Path, r.Framing, r.P50, r.P99)
			}
		default:
			if r.Rate == nil || r.Rate.Min <= 0 {
				t.Errorf("%s %s: no rate", r.Path, r.Framing)
			}
			if r.Path != "raw" && (r.CPUPerMsg == nil || r.CPUPerMsg.Median <= 0) {
				t.Errorf("%s %s: no receiver CPU time", r.Path, r.Framing)
			}
		}
	}
}

func TestGoPaths(t *testing.T) {
	want := []string{"go-go", "raw", "rtt-go", "rtt-raw"}
	rows, results := runJSON(t, strings.Join(want, ","))
	checkRows(t, rows, results, want)
	for _, r := range results {
		if r.Path == "go-go" && r.Msgs != 3000 {
			t.Errorf("go-go counted %d messages, want 3000", r.Msgs)
		}
	}
}

func TestPerlPaths(t *testing.T) {
	interop.RequirePerl(t)
	want := []string{"go-perl", "perl-go", "perl-perl", "rtt-perl"}
	rows, results := runJSON(t, strings.Join(want, ","))
	checkRows(t, rows, results, want)
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{{"-only=nosuch"}, {"-framing=storable"}, {"-rounds=0"}, {"extra"}} {
		var stdout, stderr bytes.Buffer
		if code := run(args, &stdout, &stderr); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
		if stderr.Len() == 0 {
			t.Errorf("%q: no error message", args)
		}
	}
}
