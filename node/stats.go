package node

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Counters for programs that embed a node (and for the metrics package,
// which exports them to Prometheus). The hot path only adds to atomic
// counters; Stats gathers them, with the gauges that are cheap to read at
// that moment, when somebody asks. Stats takes each lock only long enough
// to copy a few numbers and pointers, so it never waits on a peer.

// PeerState is the state of the connection to another node.
type PeerState string

// Peer states.
const (
	PeerUp         PeerState = "up"         // a connection is attached
	PeerConnecting PeerState = "connecting" // dialling, no connection yet
	PeerDown       PeerState = "down"       // neither
)

// Transport error reasons: the message of ["transport_error", node, msg]
// normalised to a fixed set, so that a label never takes the free text of
// an error (which may hold addresses). See transportReason.
const (
	ReasonEOF            = "eof"             // "Unexpected end-of-file": the peer closed
	ReasonReset          = "reset"           // "Connection reset by peer"
	ReasonBrokenPipe     = "broken_pipe"     // "Broken pipe"
	ReasonTimeout        = "timeout"         // "Connection timed out", i/o timeouts
	ReasonClosed         = "closed"          // this side closed the socket
	ReasonConnectTimeout = "connect_timeout" // no connection within connect_interval
	ReasonNoAddress      = "no_address"      // nobody knew where the node listens
	ReasonMalformed      = "malformed"       // the peer sent something that is not a message
	ReasonSendQueue      = "send_queue"      // "send queue overflow (...)": Config.MaxSendQueue passed
	ReasonWriteStall     = "write_stall"     // "write stalled for ...": Config.WriteStallTimeout
	ReasonHeartbeat      = "heartbeat"       // "heartbeat timeout: ...": the peer seems hung
	ReasonMessageSize    = "message_size"    // "message too large ...": Config.MaxMessageSize
	ReasonLimit          = "limit"           // another configured bound was passed
	ReasonOther          = "other"           // anything else
)

// TransportErrorReasons lists every reason a transport error is counted
// under, in a fixed order.
var TransportErrorReasons = append([]string(nil), transportReasons[:]...)

var transportReasons = [...]string{ReasonEOF, ReasonReset, ReasonBrokenPipe, ReasonTimeout, ReasonClosed,
	ReasonConnectTimeout, ReasonNoAddress, ReasonMalformed, ReasonSendQueue, ReasonWriteStall, ReasonHeartbeat,
	ReasonMessageSize, ReasonLimit, ReasonOther}

// HandshakeFailureReasons lists every reason a failed handshake is counted
// under: the protocol package's sentinel errors, then failures of the
// socket itself. "self" and "already_connected" are refusals that happen
// in normal operation (a seed dialling itself, two nodes dialling each
// other at once).
var HandshakeFailureReasons = append([]string(nil), handshakeReasons[:]...)

var handshakeReasons = [...]string{"auth_failed", "version_mismatch", "not_aemp", "echo_attack",
	"identical_nonce", "no_common_auth", "no_common_framing", "unsupported_auth", "no_secret", "self",
	"already_connected", "line_too_long", "tls", "timeout", "eof", "reset", "other"}

var handshakeSentinels = [...]error{protocol.ErrAuthFailed, protocol.ErrVersionMismatch, protocol.ErrNotAEMP,
	protocol.ErrEchoAttack, protocol.ErrIdenticalNonce, protocol.ErrNoCommonAuth, protocol.ErrNoCommonFraming,
	protocol.ErrUnsupportedAuth, protocol.ErrNoSecret, protocol.ErrSelf, protocol.ErrAlreadyConnected,
	protocol.ErrLineTooLong, protocol.ErrTLS} // in the order of HandshakeFailureReasons

// Stats is a snapshot of a node's counters (monotonic from New) and
// gauges (values at the time of the call).
type Stats struct {
	NodeID string
	Binds  []string // listener addresses
	Master string   // the current master node, "" while there is none
	Global bool     // this node runs the global service

	Ports             int // local ports
	LocalMonitors     int // monitors on local ports (also those of other nodes, see PeerStats.MonitoredBy)
	RemoteMonitors    int // this node's monitors on other nodes' ports (and on their node ports)
	NodeMonitors      int // MonNodes callbacks
	DBFamilies        int // families of this node's own database entries (internal ones included)
	DBKeys            int // this node's own database entries
	GlobalDBFamilies  int // global nodes: families of the merged database
	GlobalDBKeys      int // global nodes: keys of the merged database
	GlobalSlaves      int // global nodes: nodes that use this one as their master, itself included
	KnownGlobalNodes  int // global nodes this node knows of (its 'g family), itself included
	DispatchQueue     int // items waiting for the dispatch goroutine: received messages and callbacks
	SendQueueMaxBytes int // Config.MaxSendQueue: the bound of a connection's send queue
	// Config.MaxRecvQueue and MaxRecvQueueLen: the bounds of what one
	// connection handed to the dispatch goroutine and that was not run yet.
	RecvQueueMaxBytes, RecvQueueMaxMessages int

	// HandshakeFailures counts failed handshakes, incoming and outgoing,
	// by reason (every key of HandshakeFailureReasons is present).
	HandshakeFailures map[string]uint64
	// TransportErrors sums the peers' TransportErrors.
	TransportErrors map[string]uint64
	// Node-wide sums over every peer there ever was (pruned ones included),
	// so they never go backwards.
	MessagesIn, MessagesOut, BytesIn, BytesOut uint64

	// Peers has every node this node has a record of, and the last
	// Config.MaxDepartedPeers nodes whose records were pruned (State down,
	// final counters), sorted by node ID: filter by State and LastChange.
	Peers []PeerStats
}

// PeerStats are the counters and gauges of one other node.
type PeerStats struct {
	NodeID     string
	State      PeerState
	LastChange time.Time // when the node last came up or went down; zero if never

	// Of the current connection, when up.
	SendFraming, RecvFraming string
	TLS                      bool

	// MessagesIn and MessagesOut count the messages decoded from and
	// encoded to its connections. A connection's reader adds what it
	// decoded before each read and every msgsInBatch messages (an atomic
	// add per message cost a receiver 5 % of its time), so MessagesIn may
	// trail the handlers by at most the messages of one read. Senders'
	// messages are added when the writer takes them, when the connection
	// closes, and for the current connection when stats are read, so
	// MessagesOut has every send but those still queued on a connection
	// that was replaced and is finishing its writes.
	MessagesIn, MessagesOut uint64
	BytesIn, BytesOut       uint64 // read from / written to its sockets (data phase)
	Connects                uint64 // connections established
	Reconnects              uint64 // connections established after the first one
	DroppedMessages         uint64 // queued messages dropped by transport errors
	// TransportErrors counts the transport errors reported for the node
	// by reason (every key of TransportErrorReasons is present).
	TransportErrors map[string]uint64

	SendQueueBytes int // encoded bytes waiting to be written on the connection
	// Received from the connection, handed to the dispatch goroutine and
	// not run yet (estimated decoded bytes, messages): the reader stops
	// reading at RecvQueueMaxBytes or RecvQueueMaxMessages.
	RecvQueueBytes, RecvQueueMessages int
	PendingMessages                   int // messages waiting for a connection to be made
	Monitors                          int // this node's monitors on the peer's ports
	MonitoredBy                       int // the peer's monitors on this node's ports
}

// peerStats are the hot-path counters of a remote. The reader's and the
// writers' counters sit on different cache lines, so the two goroutines
// of one connection do not slow each other down.
type peerStats struct {
	msgsIn, bytesIn atomic.Uint64
	_               [48]byte
	msgsOut         atomic.Uint64
	bytesOut        atomic.Uint64
	_               [48]byte
	connects        atomic.Uint64
	dropped         atomic.Uint64
	lastChange      atomic.Int64 // unix ns
	errs            [len(transportReasons)]atomic.Uint64
}

// Hooks called from conn.go and remote.go.

// msgsRead adds a reader's count of messages decoded since it last
// reported (*n) to MessagesIn and zeroes the count; a reader with nothing
// to report costs no atomic add.
func (p *peerStats) msgsRead(n *int) {
	if *n > 0 {
		p.msgsIn.Add(uint64(*n))
		*n = 0
	}
}

func (p *peerStats) wrote(n int64) { p.bytesOut.Add(uint64(max(n, 0))) }
func (p *peerStats) drop(n int)    { p.dropped.Add(uint64(n)) }
func (p *peerStats) changed()      { p.lastChange.Store(time.Now().UnixNano()) }
func (p *peerStats) connected()    { p.connects.Add(1); p.changed() }

// transportError counts a reason list ["transport_error", node, msg].
func (p *peerStats) transportError(reason []any) {
	msg := ""
	if len(reason) > 2 {
		msg, _ = protocol.PerlString(reason[2])
	}
	p.errs[transportReason(msg)].Add(1)
	p.changed()
}

// transportReason maps the message of a transport error (perlReason's
// wording, or the node's own) to an index into transportReasons.
func transportReason(msg string) int {
	m := strings.ToLower(msg)
	var r string
	switch {
	case strings.Contains(m, "end-of-file"):
		r = ReasonEOF
	case strings.Contains(m, "reset by peer"):
		r = ReasonReset
	case strings.Contains(m, "broken pipe"):
		r = ReasonBrokenPipe
	case strings.HasPrefix(m, "send queue overflow"):
		r = ReasonSendQueue
	case strings.HasPrefix(m, "write stalled"):
		r = ReasonWriteStall
	case strings.HasPrefix(m, "heartbeat timeout"):
		r = ReasonHeartbeat
	case strings.Contains(m, protocol.ErrMessageTooLarge.Error()):
		r = ReasonMessageSize
	case m == "connect timeout":
		r = ReasonConnectTimeout
	case strings.Contains(m, "timed out"), strings.Contains(m, "timeout"):
		r = ReasonTimeout
	case m == "connection closed", strings.Contains(m, "use of closed network connection"):
		r = ReasonClosed
	case m == "no known address":
		r = ReasonNoAddress
	case strings.Contains(m, protocol.ErrBadFrame.Error()):
		r = ReasonMalformed
	case strings.Contains(m, "limit"):
		r = ReasonLimit
	default:
		r = ReasonOther
	}
	for i, s := range transportReasons {
		if s == r {
			return i
		}
	}
	return len(transportReasons) - 1
}

// nodeStats are the node-wide counters, and the gauges of state that only
// the dispatch goroutine may read, published by it after each change.
type nodeStats struct {
	handshake [len(handshakeReasons)]atomic.Uint64

	dbFamilies, dbKeys             atomic.Int64
	globalFamilies, globalKeys     atomic.Int64
	globalSlaves, knownGlobalNodes atomic.Int64

	departed departedPeers // final counters of pruned peers
}

// handshakeFailed counts a failed handshake (hook in logHandshake).
func (s *nodeStats) handshakeFailed(err error) { s.handshake[handshakeReason(err)].Add(1) }

// handshakeReason returns the index into HandshakeFailureReasons.
func handshakeReason(err error) int {
	for i, e := range handshakeSentinels {
		if errors.Is(err, e) {
			return i
		}
	}
	base := len(handshakeSentinels)
	var ne net.Error
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded),
		errors.As(err, &ne) && ne.Timeout():
		return base // timeout
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return base + 1 // eof
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return base + 2 // reset
	}
	return base + 3 // other
}

// noteLocalDB publishes the size of this node's own database (dispatch
// goroutine; hook in dbSet and dbDel).
func (s *nodeStats) noteLocalDB(db map[string]map[string]any) {
	keys := 0
	for _, f := range db {
		keys += len(f)
	}
	s.dbFamilies.Store(int64(len(db)))
	s.dbKeys.Store(int64(keys))
	s.knownGlobalNodes.Store(int64(len(db[familyGlobals])))
}

// noteGlobalDB publishes the size of the global service's state (dispatch
// goroutine; hook in gUpd, gSlave and gDisconnect).
func (s *nodeStats) noteGlobalDB(g *globalDB) {
	keys := 0
	for _, f := range g.global {
		keys += len(f)
	}
	s.globalFamilies.Store(int64(len(g.global)))
	s.globalKeys.Store(int64(keys))
	s.globalSlaves.Store(int64(len(g.slaves)))
}

// queueLimits returns the per-connection bounds of the send queue (bytes)
// and of the receive queue (estimated bytes, messages).
func (n *Node) queueLimits() (send, recvBytes, recvLen int) {
	return n.cfg.MaxSendQueue, n.cfg.MaxRecvQueue, n.cfg.MaxRecvQueueLen
}

// sendQueueBytes is how many encoded bytes wait to be written. It takes
// the connection's lock only to add up lengths.
func (c *conn) sendQueueBytes() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.countSendsLocked() // so that MessagesOut, read after this, has every send
	q := len(c.buf)
	for _, b := range c.sealed {
		q += len(b)
	}
	return q
}

// depth is the number of items waiting to be run.
func (l *loop) depth() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.queue)
}

// Stats returns a snapshot of the node's counters and gauges. It is safe
// to call from any goroutine, including handlers, and after Close (the
// counters then keep their last values).
func (n *Node) Stats() Stats {
	s := Stats{NodeID: n.id}
	n.mu.Lock()
	s.Binds = append([]string(nil), n.binds...)
	s.Master = n.g.master
	s.Global = n.global.running.Load()
	s.Ports = len(n.ports)
	for _, l := range n.lmon {
		s.LocalMonitors += len(l)
	}
	s.NodeMonitors = len(n.nodeMons)
	rs := make([]*remote, 0, len(n.remotes))
	for _, r := range n.remotes {
		rs = append(rs, r)
	}
	// under Node.mu, as prune moves a record from n.remotes to departed:
	// taken after the unlock, a record pruned in between was counted
	// twice, as live and as departed (the node-wide totals jumped, then
	// fell back)
	departed, evicted := n.stats.departed.snapshot()
	n.mu.Unlock()

	ns := &n.stats
	s.DBFamilies, s.DBKeys = int(ns.dbFamilies.Load()), int(ns.dbKeys.Load())
	s.GlobalDBFamilies, s.GlobalDBKeys = int(ns.globalFamilies.Load()), int(ns.globalKeys.Load())
	s.GlobalSlaves, s.KnownGlobalNodes = int(ns.globalSlaves.Load()), int(ns.knownGlobalNodes.Load())
	s.DispatchQueue = n.loop.depth()
	s.SendQueueMaxBytes, s.RecvQueueMaxBytes, s.RecvQueueMaxMessages = n.queueLimits()
	s.HandshakeFailures = make(map[string]uint64, len(handshakeReasons))
	for i, r := range handshakeReasons {
		s.HandshakeFailures[r] = ns.handshake[i].Load()
	}

	s.TransportErrors = make(map[string]uint64, len(transportReasons))
	for _, r := range transportReasons {
		s.TransportErrors[r] = 0
	}
	s.MessagesIn, s.MessagesOut, s.BytesIn, s.BytesOut = evicted.msgsIn, evicted.msgsOut, evicted.bytesIn, evicted.bytesOut
	for i, r := range transportReasons {
		s.TransportErrors[r] = evicted.errs[i]
	}
	s.Peers = make([]PeerStats, 0, len(rs)+len(departed))
	live := make(map[string]bool, len(rs))
	add := func(p PeerStats, show bool) {
		s.MessagesIn += p.MessagesIn
		s.MessagesOut += p.MessagesOut
		s.BytesIn += p.BytesIn
		s.BytesOut += p.BytesOut
		for k, v := range p.TransportErrors {
			s.TransportErrors[k] += v
		}
		if show {
			s.RemoteMonitors += p.Monitors
			s.Peers = append(s.Peers, p)
		}
	}
	for _, r := range rs {
		p := r.snapshot()
		live[p.NodeID] = true
		add(p, true)
	}
	for _, p := range departed {
		add(p, !live[p.NodeID]) // a new record raced the old one's pruning: counted, not shown twice
	}
	sort.Slice(s.Peers, func(i, j int) bool { return s.Peers[i].NodeID < s.Peers[j].NodeID })
	return s
}

// snapshot reads one remote's counters and gauges.
func (r *remote) snapshot() PeerStats {
	r.mu.Lock()
	p := r.snapshotLocked()
	c := r.tr
	r.mu.Unlock()
	if c != nil {
		p.SendFraming, p.RecvFraming, p.TLS = c.s.SendFraming, c.s.RecvFraming, c.s.TLS
		p.SendQueueBytes = c.sendQueueBytes()
		p.MessagesOut = r.stats.msgsOut.Load() // now with the sends not yet taken
		p.RecvQueueBytes, p.RecvQueueMessages = int(c.inqBytes.Load()), int(c.inqLen.Load())
	}
	return p
}

// snapshotLocked reads what r.mu guards and the counters; r.mu is held.
func (r *remote) snapshotLocked() PeerStats {
	st := &r.stats
	p := PeerStats{NodeID: r.id, State: PeerDown,
		MessagesIn: st.msgsIn.Load(), MessagesOut: st.msgsOut.Load(),
		BytesIn: st.bytesIn.Load(), BytesOut: st.bytesOut.Load(),
		Connects: st.connects.Load(), DroppedMessages: st.dropped.Load(),
		TransportErrors: make(map[string]uint64, len(transportReasons))}
	if p.Connects > 1 {
		p.Reconnects = p.Connects - 1
	}
	if t := st.lastChange.Load(); t != 0 {
		p.LastChange = time.Unix(0, t)
	}
	for i, reason := range transportReasons {
		p.TransportErrors[reason] = st.errs[i].Load()
	}
	switch {
	case r.tr != nil:
		p.State = PeerUp
	case r.connecting:
		p.State = PeerConnecting
	}
	p.PendingMessages = len(r.queue)
	for _, l := range r.lmon {
		p.Monitors += len(l)
	}
	p.MonitoredBy = len(r.rmon)
	return p
}
