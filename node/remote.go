package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// remote is what this node knows about another node (Node.pm's
// AnyEvent::MP::Node::Remote): its connection, the messages queued until
// one exists, and the monitors that depend on it.
type remote struct {
	n  *Node
	id string

	mu           sync.Mutex
	tr           *conn                 // the connection messages go out on; guarded by mu
	queue        []protocol.Message    // until connected (Perl's {queue}); guarded by mu
	queueBytes   int                   // estimated size of queue, bounded by MaxSendQueue; guarded by mu
	connecting   bool                  // dial attempts under way (Perl's {connect_w}); guarded by mu
	connectTimer *time.Timer           // gives up after connect_interval ({connect_to}); guarded by mu
	cancelDial   context.CancelFunc    // stops the attempts of this round; guarded by mu
	lmon         map[string][]*monitor // our monitors on that node's ports; guarded by mu
	rmon         map[string]*monitor   // that node's monitors on our ports; guarded by mu
	downPending  bool                  // monitors of a lost connection not yet run; guarded by mu
	downReason   []any                 // the reason they fire with, while downPending; guarded by mu
	holding      bool                  // connected, but node-up callbacks not yet run; guarded by mu
	all          []*conn               // every live connection, for shutdown; guarded by mu
	out          atomic.Pointer[conn]  // tr while sends may go straight to it (see setOutLocked); stored under mu
	pruned       atomic.Bool           // removed from Node.remotes: use the current record; set under mu, read without (Node.remote)
	stats        peerStats             // atomics (stats.go)
}

// remote returns the remote-node record, creating it on first use (Perl's
// add_node).
func (n *Node) remote(id string) *remote {
	// Lock-free on the send path: the node mutex is also taken by every
	// local delivery, and on two cores sender and receiver would fight
	// over it for each message.
	//
	// First the record of the previous lookup, which a sender to one node
	// finds every time (sync.Map hashes the key: a tenth of a send's
	// time). A record that is not pruned is the one in n.remotes, as
	// records leave the table only through prune, which marks them first;
	// so this returns what the table holds, as the sync.Map does. Either
	// may be pruned right after it was found: users lock it with lock(),
	// which checks under r.mu and moves on to the record that replaced it.
	if r := n.lastRemote.Load(); r != nil && r.id == id && !r.pruned.Load() {
		return r
	}
	if v, ok := n.remoteCache.Load(id); ok {
		r := v.(*remote)
		n.lastRemote.Store(r)
		return r
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.remotes[id]
	if r == nil {
		r = &remote{n: n, id: id, lmon: map[string][]*monitor{}, rmon: map[string]*monitor{}}
		n.stats.departed.revive(id, &r.stats) // a node that comes back keeps its counters
		n.remotes[id] = r
		n.remoteCache.Store(id, r)
	}
	return r
}

// lockRemote returns the record of a node, locked. Records of departed
// nodes are pruned (see prune); a caller that raced with pruning gets the
// record that replaces it.
func (n *Node) lockRemote(id string) *remote {
	return n.remote(id).lock()
}

// lock locks r, or the record that replaced r if it was pruned.
func (r *remote) lock() *remote {
	for {
		r.mu.Lock()
		if !r.pruned.Load() {
			return r
		}
		r.mu.Unlock()
		r = r.n.remote(r.id)
	}
}

// prune forgets the record when the node is gone and nothing refers to
// it any more (Node.pm's transport_error: "if we are here and are idle,
// we nuke ourselves"), so a node that saw many short-lived peers does not
// keep one record per peer forever.
func (r *remote) prune() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pruned.Load() || r.tr != nil || r.connecting || r.connectTimer != nil || r.downPending || r.holding ||
		len(r.queue) > 0 || len(r.lmon) > 0 || len(r.rmon) > 0 || len(r.all) > 0 {
		return
	}
	r.pruned.Store(true)
	r.n.mu.Lock() // lock order: remote.mu before Node.mu
	if r.n.remotes[r.id] == r {
		delete(r.n.remotes, r.id)
	}
	r.n.remoteCache.CompareAndDelete(r.id, r)
	// not kept alive by the lookup cache (a lookup that found r before
	// this may still put it back there: harmless, as pruned records are
	// passed over, and the next lookup replaces it)
	r.n.lastRemote.CompareAndSwap(r, nil)
	// under Node.mu, so that a new record of the node (n.remote) finds
	// these counters to take over
	r.n.stats.departed.add(r.snapshotLocked(), r.n.cfg.MaxDepartedPeers)
	r.n.mu.Unlock()
}

func (r *remote) isUp() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.tr != nil
}

// send transmits the message [port, data...], or queues it and starts
// connecting. It never waits on the peer: the message is only encoded
// under the lock, and written (inline or by the writer goroutine) after it
// was released. It keeps no reference to data unless it queues it (a
// copy, see retain); port and data are separate arguments because the
// compiler's escape analysis does not tell a struct's fields apart.
func (r *remote) send(port string, data []any) error {
	if c := r.out.Load(); c != nil {
		// the common case, without r.mu (see setOutLocked)
		inline, err := c.enqueue(protocol.Message{Port: port, Data: data})
		if err != errConnClosed {
			return c.finish(inline, err)
		}
		// c was lost since it was loaded: the record's state decides
		// (below, as if the send had come after the loss)
	}
	r = r.lock()
	if r.downPending {
		// The connection was lost and its monitors have not run yet. Perl
		// runs them inside transport_error, so nothing can be sent in
		// between; here a sender may get in first. AEMP's promise is that
		// messages after a lost one are lost too until monitoring raised
		// the error: queueing this one for the next connection would
		// deliver it after a hole that no monitor had reported yet.
		r.stats.drop(1)
		r.mu.Unlock()
		return nil
	}
	if r.tr != nil && !r.holding {
		c := r.tr
		inline, err := c.enqueue(protocol.Message{Port: port, Data: data})
		r.mu.Unlock()
		return c.finish(inline, err)
	}
	r.queue = append(r.queue, protocol.Message{Port: port, Data: retain(data)})
	r.queueBytes += approxSize(data) + len(port)
	if limit := r.n.cfg.MaxSendQueue; r.queueBytes > limit {
		r.mu.Unlock()
		r.n.log.Warn("dropping queue of unreachable node", "peer", r.id, "limit", byteSize(limit))
		r.transportError("transport_error", r.id, sendQueueOverflow{limit}.Error()+" while connecting")
		return nil
	}
	r.connectLocked()
	r.mu.Unlock()
	return nil
}

// setOutLocked publishes the connection that sends may use without
// taking r.mu: the current one, when the node is up, its queue flushed
// (not holding) and no loss being reported (not downPending); else
// none, and sends take r.mu and decide as send describes. It must be
// called whenever one of those fields changes, under r.mu.
//
// A sender that loaded the connection just before it stopped being
// published acts as if it had sent just before the change: after a
// switch of connections its message goes out on the old connection,
// which still writes (the switch fires the port monitors: the two
// connections may reorder); on a lost connection enqueue fails with
// errConnClosed (a connection is closed before its loss is reported)
// and send goes the locked way, which drops the message while the loss
// is being reported. A record's queue is flushed before the connection
// is published, so no sender overtakes what was queued.
func (r *remote) setOutLocked() {
	if r.tr != nil && !r.holding && !r.downPending {
		r.out.Store(r.tr)
	} else {
		r.out.Store(nil)
	}
}

// connectLocked starts connecting unless a connection exists or is being
// made (Node.pm connect). Within connect_interval a connection must be up,
// or the attempt fails with "connect timeout", dropping the queue and
// firing monitors.
func (r *remote) connectLocked() {
	if r.tr != nil || r.connecting || r.downPending || r.n.closed() {
		return
	}
	if r.connectTimer == nil {
		r.connectTimer = time.AfterFunc(r.n.cfg.ConnectInterval, func() {
			r.connectFailed("connect timeout")
		})
	}
	if addrs := r.n.knownAddrs(r.id); len(addrs) > 0 {
		r.connectToLocked(addrs)
		return
	}
	if r.n.isGlobal() {
		// On global nodes all bets are off: we know the node or we don't.
		go r.connectFailed("no known address")
		return
	}
	// Asking the master means sending to it, which takes its record's
	// lock: not under ours.
	r.n.loop.post(item{fn: func() { r.n.gFind(r.id) }})
}

// connectTo dials the given addresses (Node.pm connect_to, also used for
// g_found answers).
func (r *remote) connectTo(addrs []string) {
	r = r.lock()
	defer r.mu.Unlock()
	r.connectToLocked(addrs)
}

func (r *remote) connectToLocked(addrs []string) {
	if r.tr != nil || r.connecting || r.n.closed() {
		return
	}
	if len(addrs) == 0 {
		go r.connectFailed("no known address")
		return
	}
	// Node.pm spreads the attempts: at most connect_interval apart, all
	// within monitor_timeout, never closer than 0.4 s.
	mon, iv := r.n.cfg.MonitorTimeout.Seconds(), r.n.cfg.ConnectInterval.Seconds()
	if (mon-iv)/float64(len(addrs)) < iv {
		iv = (mon - iv) / float64(len(addrs))
	}
	if iv < 0.4 {
		iv = 0.4
	}
	interval := time.Duration(iv * (0.9 + 0.1*rand.Float64()) * float64(time.Second))
	r.connecting = true
	ctx, cancel := context.WithCancel(r.n.ctx)
	r.cancelDial = cancel
	addrs = append([]string(nil), addrs...)
	r.n.wg.Add(1)
	go func() {
		defer r.n.wg.Done()
		for i, a := range addrs {
			if i > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(interval):
				}
			}
			r.n.wg.Add(1)
			go func(addr string) {
				defer r.n.wg.Done()
				// A started attempt runs to its end even if another
				// connection wins meanwhile (only closing the node stops
				// it): both nodes may be dialling each other, and each
				// cancelling its own half-done handshake would leave
				// each with the connection the other one dropped.
				if _, err := r.n.dial(r.n.ctx, addr); err != nil {
					r.n.log.Debug("connect failed", "peer", r.id, "addr", addr, "err", err)
				}
			}(a)
		}
	}()
}

// transportConnect makes c the node's connection (Node.pm
// transport_connect) and sends what was queued.
func (r *remote) transportConnect(c *conn) {
	r.mu.Lock()
	c.mu.Lock() // lock order: remote.mu before conn.mu
	closed := c.closed
	c.mu.Unlock()
	if closed {
		// closed while attaching (a loss of the node's current connection
		// takes the others with it): it must not become current
		r.mu.Unlock()
		return
	}
	if r.tr != nil {
		// Two connections to one node, usually because both dialled at
		// once. Perl makes the new one current and keeps receiving on the
		// old one, and reports a transport error: messages on the two may
		// be reordered, so monitors of that node's ports fire. aemp-go does
		// the same for port monitors, but does not also report the node as
		// down and up again: it never was down, and Global.pm would throw
		// away and rebuild the node's database entries on that event,
		// racing with the peer's own switch.
		old := r.tr
		mons := r.lmon
		r.lmon = map[string][]*monitor{}
		r.tr = c
		r.setOutLocked()
		r.stopConnectingLocked()
		r.mu.Unlock()
		r.n.log.Debug("switched connections", "peer", r.id, "old", old.s.Conn.RemoteAddr().String())
		reason := []any{"transport_error", r.id, "switched connections"}
		r.n.loop.post(item{fn: func() {
			for _, l := range mons {
				for _, m := range l {
					m.fire(reason)
				}
			}
		}})
		return
	}
	r.tr = c
	r.holding = true
	r.setOutLocked()
	r.stopConnectingLocked()
	r.mu.Unlock()
	// Node-up callbacks run before the queue is flushed, and what they
	// send is queued behind what was already waiting, as in Perl (where
	// the transport's send replaces the queueing one only after
	// _inject_nodeevent). The node counts as up meanwhile.
	r.n.loop.post(item{fn: func() {
		r.n.nodeEvent(r.id, true, nil)
		r.mu.Lock()
		if r.tr == nil {
			r.mu.Unlock()
			return // lost again before the flush: dropped, monitors fired
		}
		r.holding = false
		q := r.queue
		r.queue, r.queueBytes = nil, 0
		tr := r.tr // c or what replaced it
		var inline [][]byte
		var err error
		for _, m := range q {
			var out [][]byte
			out, err = tr.enqueue(m)
			if out != nil {
				inline = out // only the first enqueue can find the connection idle
			}
			if err != nil && !errors.Is(err, errConnClosed) {
				var over sendQueueOverflow
				if errors.As(err, &over) {
					break
				}
				r.n.log.Warn("cannot send queued message", "peer", r.id, "err", err)
				err = nil
			}
		}
		r.setOutLocked() // only now: nothing sent after the flush overtakes the queue
		r.mu.Unlock()
		tr.finish(inline, err)
	}})
}

func (r *remote) stopConnectingLocked() {
	r.connecting = false
	if r.connectTimer != nil {
		r.connectTimer.Stop()
		r.connectTimer = nil
	}
	if r.cancelDial != nil {
		r.cancelDial()
		r.cancelDial = nil
	}
}

// connectFailed reports a failed connection attempt, unless a connection
// came up meanwhile. (Perl runs transport_error synchronously inside
// connect; here timers and dial goroutines may lose the race against a
// connection accepted from the same node.)
func (r *remote) connectFailed(msg string) {
	// checked and torn down under one hold of the lock: a connection that
	// came up in between must not be reported lost (and left orphaned)
	r.fail(true, "transport_error", r.id, msg)
}

// transportError is Node.pm's transport_error: the connection is gone or
// could not be made. Queued messages are dropped and every monitor on that
// node's ports fires with the reason. Sending resumes (with a new
// connection) only after the monitors ran, so no message sent after the
// loss can overtake them: the "no holes" guarantee.
func (r *remote) transportError(reason ...any) { r.fail(false, reason...) }

// fail is transportError; with onlyIfDown it does nothing when a
// connection is up or being attached.
func (r *remote) fail(onlyIfDown bool, reason ...any) {
	r.mu.Lock()
	if onlyIfDown && (r.tr != nil || len(r.all) > 0) {
		// a connection is up, or being attached (a seed's dial finishing
		// while a send found no address): the node is not unreachable
		r.mu.Unlock()
		return
	}
	hadTransport := r.tr != nil
	r.tr = nil
	r.holding = false
	r.stopConnectingLocked()
	r.stats.drop(len(r.queue))
	r.queue, r.queueBytes = nil, 0
	mons := r.lmon
	r.lmon = map[string][]*monitor{}
	// That node's monitors on our ports died with the connection (it
	// fired them itself); Perl's closures go with the node record.
	rmons := r.rmon
	r.rmon = map[string]*monitor{}
	r.downPending = true
	r.downReason = reason
	r.setOutLocked()
	// When the current connection was lost, any other connection to that
	// node goes too. After simultaneous connects both sides keep the
	// connection they switched away from open; if the peer closed the one
	// we sent on but still sends on the other, it would refuse every new
	// connection ("already connected") while we could never send again.
	// Closing it makes both sides start over, as after any loss. (Without
	// a current connection, what is in r.all is being attached and is
	// left alone.)
	var others []*conn
	if hadTransport {
		others = r.all
		r.all = nil
	}
	r.mu.Unlock()
	for _, c := range others {
		c.close()
	}
	for port, m := range rmons {
		r.n.unmonitorLocal(port, m)
	}
	r.stats.transportError(reason)
	r.n.log.Debug("transport error", "peer", r.id, "reason", joinReason(reason))
	r.n.loop.post(item{fn: func() {
		// From here on the loss is being reported: what the monitors and
		// node-down callbacks send (a new master's g_slave, say) is queued
		// for the next connection, as Perl queues what its transport_error
		// callbacks send; only what others sent before is dropped.
		r.mu.Lock()
		r.downPending, r.downReason = false, nil
		r.setOutLocked()
		r.mu.Unlock()
		for _, l := range mons {
			for _, m := range l {
				m.fire(reason)
			}
		}
		if hadTransport {
			r.n.nodeEvent(r.id, false, reason)
		}
		r.mu.Lock()
		if len(r.queue) > 0 {
			r.connectLocked()
		}
		r.mu.Unlock()
		r.prune()
	}})
}

// monitor registers a monitor on a port of this node; the first monitor of
// a port sends mon1 (a monitor of the node port itself only watches the
// connection). It returns the record the monitor is registered with.
func (r *remote) monitor(port string, m *monitor) *remote {
	r = r.lock()
	if r.downPending {
		// the connection is being reported lost: this monitor fires with
		// the others (its mon1 could not be sent, see send)
		reason := r.downReason
		r.mu.Unlock()
		r.n.loop.post(item{fn: func() { m.fire(reason) }})
		return r
	}
	first := len(r.lmon[port]) == 0
	r.lmon[port] = append(r.lmon[port], m)
	if port == "" {
		// monitoring the node port makes sure there is a connection
		r.connectLocked()
	}
	r.mu.Unlock()
	if first && port != "" {
		r.send("", []any{"mon1", port})
	}
	return r
}

func (r *remote) unmonitor(port string, m *monitor) {
	r.mu.Lock()
	l, ok := r.lmon[port]
	if !ok {
		r.mu.Unlock()
		return
	}
	l = removeMonitor(l, m)
	r.lmon[port] = l
	last := len(l) == 0
	if last {
		delete(r.lmon, port)
	}
	r.mu.Unlock()
	if last && port != "" {
		r.send("", []any{"mon0", port})
	}
}

// kil0 runs our monitors of a remote port that the remote node reported
// dead.
func (r *remote) kil0(port string, reason []any) {
	r.mu.Lock()
	l := r.lmon[port]
	delete(r.lmon, port)
	r.mu.Unlock()
	for _, m := range l {
		m.fire(reason)
	}
}

func (r *remote) shutdown() {
	r.mu.Lock()
	r.stopConnectingLocked()
	all := r.all
	r.all = nil
	r.mu.Unlock()
	for _, c := range all {
		c.close()
	}
}
