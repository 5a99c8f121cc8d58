package main

import (
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/internal/metricstest"
)

var metricsURLRE = regexp.MustCompile(`metrics on (http://\S+/metrics)`)

// The rc key metrics_listen makes run serve metrics; they move when a
// client talks to the node, and show the client gone after it left.
func TestRunServesMetricsFromProfileKey(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"`+testSecret+`","profile":{"n":{"nodeid":"gonode","binds":["127.0.0.1:0"],"metrics_listen":"127.0.0.1:0","services":["AempGo::Echo::"]}}}`)
	stdout, _, _ := startRun(t, "n")
	m := metricsURLRE.FindStringSubmatch(stdout.String())
	if m == nil {
		t.Fatalf("no metrics address in %q", stdout)
	}
	url := m[1]
	before := metricstest.Scrape(t, url)
	if before[`aemp_node_info{node="gonode"}`] != 1 {
		t.Fatalf("node info missing: %v", before)
	}
	addr := strings.TrimSuffix(strings.Fields(strings.SplitN(stdout.String(), "listening on ", 2)[1])[0], ";")
	mustAemp(t, "--seed", addr, "cal", "gonode", echoFunc, "a")
	// the client has gone: its connection was closed when it exited
	var after map[string]float64
	deadline := time.Now().Add(5 * time.Second)
	for {
		after = metricstest.Scrape(t, url)
		if after[`aemp_peers{state="down"}`] >= 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if after["aemp_received_messages_total"] <= before["aemp_received_messages_total"] ||
		after["aemp_sent_messages_total"] <= before["aemp_sent_messages_total"] {
		t.Errorf("messages did not move: before %v after %v", before, after)
	}
	if after[`aemp_peers{state="down"}`] != 1 {
		t.Errorf("the client is not shown down: %v", after)
	}
	// At least the client's departure is counted. Under load a second one
	// has been seen once (a CI run, not reproduced since): the node's own
	// later attempt to reach the departed client may fail and count too.
	var lost float64
	reasons := map[string]float64{}
	for k, v := range after {
		if strings.HasPrefix(k, "aemp_transport_errors_total") {
			lost += v
			if v > 0 {
				reasons[k] = v
			}
		}
	}
	if lost < 1 {
		t.Errorf("%v transport errors after the client left, want at least 1: %v", lost, reasons)
	}
}

// --metrics wins over the profile key, and "off" turns metrics off.
func TestRunMetricsFlag(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"s","binds":["127.0.0.1:0"],"metrics_listen":"127.0.0.1:0"}`)
	stdout, _, stop := startRun(t, "--metrics", "off")
	if strings.Contains(stdout.String(), "metrics on") {
		t.Errorf("--metrics off still serves: %q", stdout)
	}
	stop()
	addr := freeAddr(t)
	stdout, _, _ = startRun(t, "--metrics", addr)
	contains(t, "stdout", stdout.String(), "metrics on http://"+addr+"/metrics")
	if s := metricstest.Scrape(t, "http://"+addr+"/metrics"); s["aemp_ports"] < 0 {
		t.Error("no aemp_ports")
	}
}

// A bad key value or a busy port stops run before the node starts.
func TestRunMetricsErrors(t *testing.T) {
	tempRC(t, `{"version":1,"secret":"s","binds":["127.0.0.1:0"],"metrics_listen":5}`)
	if r := aemp(t, "run"); r.code != exitUsage || !strings.Contains(r.stderr, "metrics_listen") {
		t.Errorf("number as address: %+v", r)
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	tempRC(t, `{"version":1,"secret":"s","binds":["127.0.0.1:0"]}`)
	if r := aemp(t, "run", "--metrics", busy.Addr().String()); r.code != exitUsage || !strings.Contains(r.stderr, "cannot serve metrics") {
		t.Errorf("busy port: %+v", r)
	}
}
