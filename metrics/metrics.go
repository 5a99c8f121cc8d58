// Package metrics exports the counters of an AEMP node (node.Stats) in the
// Prometheus format, with the Go Prometheus client. It is a package of its
// own so that programs embedding a node without Prometheus do not pull in
// the client: node.Stats gives them the same numbers.
//
// The collector reads node.Stats when it is scraped and does nothing in
// between; every metric name starts with "aemp_". The README's "Metrics"
// section lists them.
//
// Label cardinality is bounded: the reason labels take a fixed set of
// values (node.TransportErrorReasons, node.HandshakeFailureReasons), and
// per-peer series exist only for peers that are up or connecting, that
// something on this node still waits for (queued messages, monitors), or
// that came up or went down within Options.DownPeerRetention. Node-wide
// totals (aemp_received_messages_total, aemp_transport_errors_total, ...)
// keep counting what pruned peers did.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/aemp-go/aemp-go/node"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// DefaultDownPeerRetention is how long a peer that went down keeps its
// per-peer series when Options.DownPeerRetention is zero.
const DefaultDownPeerRetention = 10 * time.Minute

// Options tune the collector; the zero value gives the defaults.
type Options struct {
	// DownPeerRetention is how long after its last state change a peer
	// that is down (and that nothing waits for) stays in the per-peer
	// series. Zero means DefaultDownPeerRetention; negative keeps such
	// peers for ever, which suits meshes with a fixed set of nodes.
	DownPeerRetention time.Duration
}

// Collector is a prometheus.Collector for one node.
type Collector struct {
	n         *node.Node
	retention time.Duration
	now       func() time.Time
}

// NewCollector returns a collector that reads n.Stats at every scrape.
func NewCollector(n *node.Node, opts Options) *Collector {
	r := opts.DownPeerRetention
	if r == 0 {
		r = DefaultDownPeerRetention
	}
	return &Collector{n: n, retention: r, now: time.Now}
}

// Handler serves n's metrics, with the Go runtime and process metrics of
// the client library, in the Prometheus exposition format (what
// `aemp-go run --metrics` serves on /metrics).
func Handler(n *node.Node, opts Options) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(NewCollector(n, opts),
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc("aemp_"+name, help, labels, nil)
}

var (
	dNodeInfo   = desc("node_info", "The node's ID, as a label; always 1.", "node")
	dGlobal     = desc("global", "1 when this node runs the global service.")
	dHasMaster  = desc("has_master", "1 while the node has a master (global) node.")
	dMasterInfo = desc("master_info", "The current master node, as a label; present only while there is one.", "master")
	dPorts      = desc("ports", "Local ports.")
	dMonitors   = desc("monitors", `Port monitors: on local ports (target="local", also those of other nodes) and on other nodes' ports (target="remote").`, "target")
	dNodeMons   = desc("node_monitors", "mon_nodes callbacks.")
	dDBFamilies = desc("db_families", `Database families: this node's own entries (db="local"), the merged database on a global node (db="global").`, "db")
	dDBKeys     = desc("db_keys", `Database keys: this node's own entries (db="local"), the merged database on a global node (db="global").`, "db")
	dSlaves     = desc("global_slaves", "Nodes that use this (global) node as their master, itself included.")
	dGlobals    = desc("global_nodes", "Global nodes this node knows of, itself included.")
	dDispatchQ  = desc("dispatch_queue_length", "Received messages and callbacks waiting for the dispatch goroutine, from all connections.")
	dSendQL     = desc("send_queue_limit_bytes", "Bound of a connection's send queue (max_send_queue); past it the connection ends with a transport error.")
	dRecvQL     = desc("recv_queue_limit_bytes", "Bound of what one connection handed to the dispatch goroutine, estimated bytes (max_recv_queue); at it the reader stops reading.")
	dRecvQLN    = desc("recv_queue_limit_messages", "Bound of what one connection handed to the dispatch goroutine, messages (max_recv_queue_len); at it the reader stops reading.")
	dPeers      = desc("peers", "Known nodes by connection state, with the nodes that left most recently (Config.MaxDepartedPeers) as down.", "state")
	dHandshake  = desc("handshake_failures_total", "Failed handshakes, incoming and outgoing, by reason.", "reason")
	dTransport  = desc("transport_errors_total", "Transport errors (lost or failed connections) of all peers, by reason.", "reason")
	dMsgsIn     = desc("received_messages_total", "Messages received from all peers.")
	dMsgsOut    = desc("sent_messages_total", "Messages sent to all peers.")
	dBytesIn    = desc("received_bytes_total", "Bytes read from all peers' connections after the handshake.")
	dBytesOut   = desc("sent_bytes_total", "Bytes written to all peers' connections after the handshake.")

	dPeerState     = desc("peer_state", "1 for the peer's current connection state (up, connecting, down), 0 for the others.", "peer", "state")
	dPeerConnInfo  = desc("peer_connection_info", "The framings and TLS use of the peer's current connection; present while up.", "peer", "send_framing", "recv_framing", "tls")
	dPeerChange    = desc("peer_last_change_timestamp_seconds", "When the peer last came up or went down (Unix time).", "peer")
	dPeerMsgsIn    = desc("peer_received_messages_total", "Messages received from the peer.", "peer")
	dPeerMsgsOut   = desc("peer_sent_messages_total", "Messages sent to the peer (handed to its connection).", "peer")
	dPeerBytesIn   = desc("peer_received_bytes_total", "Bytes read from the peer's connections after the handshake.", "peer")
	dPeerBytesOut  = desc("peer_sent_bytes_total", "Bytes written to the peer's connections after the handshake.", "peer")
	dPeerConnects  = desc("peer_connections_total", "Connections established with the peer.", "peer")
	dPeerReconn    = desc("peer_reconnects_total", "Connections established with the peer after the first one.", "peer")
	dPeerDropped   = desc("peer_dropped_messages_total", "Messages queued for the peer and dropped by a transport error (their monitors fired).", "peer")
	dPeerTransport = desc("peer_transport_errors_total", "Transport errors of the peer by reason; only reasons that occurred.", "peer", "reason")
	dPeerSendQ     = desc("peer_send_queue_bytes", "Encoded bytes waiting to be written to the peer.", "peer")
	dPeerRecvQ     = desc("peer_recv_queue_bytes", "Estimated bytes received from the peer and not yet run by the dispatch goroutine.", "peer")
	dPeerRecvQN    = desc("peer_recv_queue_messages", "Messages received from the peer and not yet run by the dispatch goroutine.", "peer")
	dPeerPending   = desc("peer_pending_messages", "Messages waiting for a connection to the peer.", "peer")
	dPeerMonitors  = desc("peer_monitors", `Port monitors: this node's on the peer's ports (direction="outgoing"), the peer's on this node's ports (direction="incoming").`, "peer", "direction")

	allDescs = []*prometheus.Desc{dNodeInfo, dGlobal, dHasMaster, dMasterInfo, dPorts, dMonitors, dNodeMons,
		dDBFamilies, dDBKeys, dSlaves, dGlobals, dDispatchQ, dSendQL, dRecvQL, dRecvQLN, dPeers, dHandshake, dTransport,
		dMsgsIn, dMsgsOut, dBytesIn, dBytesOut,
		dPeerState, dPeerConnInfo, dPeerChange, dPeerMsgsIn, dPeerMsgsOut, dPeerBytesIn, dPeerBytesOut,
		dPeerConnects, dPeerReconn, dPeerDropped, dPeerTransport, dPeerSendQ, dPeerRecvQ, dPeerRecvQN, dPeerPending, dPeerMonitors}
)

var peerStates = []node.PeerState{node.PeerUp, node.PeerConnecting, node.PeerDown}

// Describe sends the descriptions of every metric the collector exports.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range allDescs {
		ch <- d
	}
}

// Collect reads the node's statistics and sends them as metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	s := c.n.Stats()
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}

	gauge(dNodeInfo, 1, s.NodeID)
	gauge(dGlobal, b2f(s.Global))
	gauge(dHasMaster, b2f(s.Master != ""))
	if s.Master != "" {
		gauge(dMasterInfo, 1, s.Master)
	}
	gauge(dPorts, float64(s.Ports))
	gauge(dMonitors, float64(s.LocalMonitors), "local")
	gauge(dMonitors, float64(s.RemoteMonitors), "remote")
	gauge(dNodeMons, float64(s.NodeMonitors))
	gauge(dDBFamilies, float64(s.DBFamilies), "local")
	gauge(dDBKeys, float64(s.DBKeys), "local")
	if s.Global {
		gauge(dDBFamilies, float64(s.GlobalDBFamilies), "global")
		gauge(dDBKeys, float64(s.GlobalDBKeys), "global")
		gauge(dSlaves, float64(s.GlobalSlaves))
	}
	gauge(dGlobals, float64(s.KnownGlobalNodes))
	gauge(dDispatchQ, float64(s.DispatchQueue))
	gauge(dSendQL, float64(s.SendQueueMaxBytes))
	gauge(dRecvQL, float64(s.RecvQueueMaxBytes))
	gauge(dRecvQLN, float64(s.RecvQueueMaxMessages))
	for _, r := range node.HandshakeFailureReasons {
		counter(dHandshake, s.HandshakeFailures[r], r)
	}
	for _, r := range node.TransportErrorReasons {
		counter(dTransport, s.TransportErrors[r], r)
	}

	byState := map[node.PeerState]int{}
	now := c.now()
	for i := range s.Peers {
		p := &s.Peers[i]
		byState[p.State]++
		if c.keep(p, now) {
			c.collectPeer(p, gauge, counter)
		}
	}
	for _, st := range peerStates {
		gauge(dPeers, float64(byState[st]), string(st))
	}
	counter(dMsgsIn, s.MessagesIn)
	counter(dMsgsOut, s.MessagesOut)
	counter(dBytesIn, s.BytesIn)
	counter(dBytesOut, s.BytesOut)
}

// keep tells whether a peer gets per-peer series (see the package doc).
func (c *Collector) keep(p *node.PeerStats, now time.Time) bool {
	if p.State != node.PeerDown || p.PendingMessages > 0 || p.Monitors > 0 || p.MonitoredBy > 0 {
		return true
	}
	if p.LastChange.IsZero() {
		return false
	}
	return c.retention < 0 || now.Sub(p.LastChange) < c.retention
}

func (c *Collector) collectPeer(p *node.PeerStats, gauge func(*prometheus.Desc, float64, ...string),
	counter func(*prometheus.Desc, uint64, ...string)) {
	id := p.NodeID
	for _, st := range peerStates {
		gauge(dPeerState, b2f(p.State == st), id, string(st))
	}
	if p.State == node.PeerUp {
		gauge(dPeerConnInfo, 1, id, p.SendFraming, p.RecvFraming, strconv.FormatBool(p.TLS))
	}
	if !p.LastChange.IsZero() {
		gauge(dPeerChange, float64(p.LastChange.UnixNano())/1e9, id)
	}
	counter(dPeerMsgsIn, p.MessagesIn, id)
	counter(dPeerMsgsOut, p.MessagesOut, id)
	counter(dPeerBytesIn, p.BytesIn, id)
	counter(dPeerBytesOut, p.BytesOut, id)
	counter(dPeerConnects, p.Connects, id)
	counter(dPeerReconn, p.Reconnects, id)
	counter(dPeerDropped, p.DroppedMessages, id)
	for _, r := range node.TransportErrorReasons {
		if v := p.TransportErrors[r]; v > 0 {
			counter(dPeerTransport, v, id, r)
		}
	}
	gauge(dPeerSendQ, float64(p.SendQueueBytes), id)
	gauge(dPeerRecvQ, float64(p.RecvQueueBytes), id)
	gauge(dPeerRecvQN, float64(p.RecvQueueMessages), id)
	gauge(dPeerPending, float64(p.PendingMessages), id)
	gauge(dPeerMonitors, float64(p.Monitors), id, "outgoing")
	gauge(dPeerMonitors, float64(p.MonitoredBy), id, "incoming")
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
