package metrics

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/internal/metricstest"
	"github.com/aemp-go/aemp-go/node"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func startNode(t *testing.T, id string) *node.Node {
	t.Helper()
	n, err := node.New(node.Config{NodeID: id, Secret: "s", Binds: []string{"127.0.0.1:0"},
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n
}

// The endpoint shows the counters moving while messages flow between two
// nodes, and the peer's state and transport errors after it is killed.
func TestScrapeWhileMessagesFlowAndAfterPeerDies(t *testing.T) {
	a, b := startNode(t, "a"), startNode(t, "b")
	a.AddAddress("b", b.Binds()...)
	srv := httptest.NewServer(Handler(a, Options{}))
	defer srv.Close()
	url := srv.URL + "/metrics"

	before := metricstest.Scrape(t, url)
	if before[`aemp_node_info{node="a"}`] != 1 || before["aemp_global"] != 0 || before["aemp_ports"] != 0 {
		t.Fatalf("node series: %v", before)
	}
	if _, ok := before[`aemp_peer_state{peer="b",state="up"}`]; ok {
		t.Fatal("a peer that was never contacted has series")
	}
	if _, ok := before["go_goroutines"]; !ok {
		t.Error("no Go runtime metrics")
	}

	got := make(chan struct{}, 100)
	bp := b.NewPort(func(*node.Port, []any) { got <- struct{}{} })
	lost := make(chan []any, 1)
	a.MonFunc(bp.ID(), func(r []any) { lost <- r })
	send := func(k int) {
		for i := 0; i < k; i++ {
			a.Snd(bp.ID(), "hello", i)
		}
		for i := 0; i < k; i++ {
			select {
			case <-got:
			case <-time.After(5 * time.Second):
				t.Fatal("messages did not arrive")
			}
		}
	}
	// Messages count when the writer takes them, so they are all in once
	// they arrived; bytes count when the write returns, which may be
	// after the peer has read and handled them: scraped until they are in.
	counters := []string{`aemp_peer_sent_messages_total{peer="b"}`, `aemp_peer_sent_bytes_total{peer="b"}`,
		"aemp_sent_messages_total", "aemp_sent_bytes_total"}
	scrapeWhen := func(ok func(m map[string]float64) bool) map[string]float64 {
		deadline := time.Now().Add(5 * time.Second)
		for {
			m := metricstest.Scrape(t, url)
			if ok(m) || time.Now().After(deadline) {
				return m
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	send(10)
	m1 := scrapeWhen(func(m map[string]float64) bool {
		return m[counters[1]] >= 10 && m[counters[3]] >= 10
	})
	send(50)
	m2 := scrapeWhen(func(m map[string]float64) bool {
		return m[counters[1]] >= m1[counters[1]]+50 && m[counters[3]] >= m1[counters[3]]+50
	})
	for i, s := range counters {
		if !(m1[s] >= 10 && m2[s] >= m1[s]+50) {
			t.Errorf("%s: %v then %v, want at least 10 and 50 more", s, m1[s], m2[s])
		}
		if i%2 == 0 && m2[s] != m1[s]+50 {
			t.Errorf("%s: %v then %v, want exactly 50 more (every message arrived)", s, m1[s], m2[s])
		}
	}
	if m2[`aemp_peer_state{peer="b",state="up"}`] != 1 || m2[`aemp_peer_state{peer="b",state="down"}`] != 0 {
		t.Errorf("b not up: %v", m2)
	}
	if m2[`aemp_peer_connection_info{peer="b",recv_framing="cbor",send_framing="cbor",tls="false"}`] != 1 {
		t.Error("no connection info for b")
	}
	if m2[`aemp_peer_monitors{direction="outgoing",peer="b"}`] != 1 || m2[`aemp_monitors{target="remote"}`] != 1 {
		t.Error("a's monitor on b's port is not shown")
	}
	if m2[`aemp_peer_connections_total{peer="b"}`] != 1 || m2[`aemp_peers{state="up"}`] != 1 {
		t.Error("connection counts")
	}

	b.Close()
	select {
	case <-lost:
	case <-time.After(5 * time.Second):
		t.Fatal("the monitor did not fire")
	}
	m3 := metricstest.Scrape(t, url)
	if m3[`aemp_peer_state{peer="b",state="down"}`] != 1 || m3[`aemp_peer_state{peer="b",state="up"}`] != 0 {
		t.Errorf("b not down after it closed: %v", m3)
	}
	lossErrs := m3[`aemp_peer_transport_errors_total{peer="b",reason="eof"}`] + m3[`aemp_peer_transport_errors_total{peer="b",reason="reset"}`]
	nodeErrs := m3[`aemp_transport_errors_total{reason="eof"}`] + m3[`aemp_transport_errors_total{reason="reset"}`]
	if lossErrs != 1 || nodeErrs != 1 {
		t.Errorf("transport errors after the loss: peer %v node %v, want 1", lossErrs, nodeErrs)
	}
	if m3[`aemp_peers{state="down"}`] != 1 || m3[`aemp_monitors{target="remote"}`] != 0 {
		t.Error("peer and monitor gauges after the loss")
	}
	if m3[`aemp_peer_sent_messages_total{peer="b"}`] < m2[`aemp_peer_sent_messages_total{peer="b"}`] {
		t.Error("a counter went backwards")
	}
}

// Peers that went down long ago lose their series; the node-wide totals
// keep what they did.
func TestDownPeersArePruned(t *testing.T) {
	a, b := startNode(t, "a"), startNode(t, "b")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Connect(ctx, b.Binds()[0]); err != nil {
		t.Fatal(err)
	}
	c := NewCollector(a, Options{DownPeerRetention: time.Minute})
	if n := testutil.CollectAndCount(c, "aemp_peer_state"); n != 3 {
		t.Fatalf("%d peer_state series, want 3", n)
	}
	b.Close()
	deadline := time.Now().Add(5 * time.Second)
	for a.NodeIsUp("b") {
		if time.Now().After(deadline) {
			t.Fatal("b still up")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if n := testutil.CollectAndCount(c, "aemp_peer_state"); n != 3 {
		t.Fatalf("a peer that just went down must stay visible: %d series", n)
	}
	c.now = func() time.Time { return time.Now().Add(2 * time.Minute) }
	if n := testutil.CollectAndCount(c, "aemp_peer_state"); n != 0 {
		t.Errorf("%d peer_state series after the retention, want 0", n)
	}
	g := gather(t, c)
	if errs := g[`aemp_transport_errors_total{reason="eof"}`] + g[`aemp_transport_errors_total{reason="reset"}`]; errs != 1 {
		t.Errorf("node-wide transport errors %v, want 1", errs)
	}
	if err := testutil.CollectAndCompare(c, strings.NewReader(`
# HELP aemp_peers Known nodes by connection state, with the nodes that left most recently (Config.MaxDepartedPeers) as down.
# TYPE aemp_peers gauge
aemp_peers{state="connecting"} 0
aemp_peers{state="down"} 1
aemp_peers{state="up"} 0
`), "aemp_peers"); err != nil {
		t.Error(err)
	}
}

// gather collects c through a registry, keyed like metricstest.Scrape.
func gather(t *testing.T, c prometheus.Collector) map[string]float64 {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	return metricstest.Series(fams)
}

// The collector is a valid collector: descriptions and metrics agree, no
// duplicate series (the registry checks both).
func TestCollectorIsConsistent(t *testing.T) {
	a := startNode(t, "a")
	gather(t, NewCollector(a, Options{}))
	if problems, err := testutil.CollectAndLint(NewCollector(a, Options{})); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}
