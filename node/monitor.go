package node

import (
	"fmt"
	"strings"
	"sync"

	"github.com/aemp-go/aemp-go/protocol"
)

// Guard undoes something when stopped (Perl returns Guard objects for the
// same purpose). Stop is idempotent and safe from any goroutine.
type Guard struct {
	once sync.Once
	f    func()
}

func newGuard(f func()) *Guard { return &Guard{f: f} }

// Stop undoes what the guard guards.
func (g *Guard) Stop() {
	if g != nil {
		g.once.Do(g.f)
	}
}

// monitor is one monitoring action. It is one-shot: once fired (port death
// or connection loss), it is gone.
type monitor struct {
	once sync.Once
	cb   func(reason []any)
}

func (m *monitor) fire(reason []any) { m.once.Do(func() { m.cb(reason) }) }

// MonFunc calls cb with the kill reason when the port dies or messages to
// it may have been lost (connection loss: ["transport_error", node, msg]).
// An empty reason means the port was killed normally. cb runs on the
// dispatch goroutine and must not block. Monitoring a local port that does
// not exist fires at once with ["no_such_port", "cannot monitor
// nonexistent port", portID]; for a remote port the remote node answers
// the same way.
//
// AEMP's guarantee: after the monitor was set up, either every message
// sent to the port arrives, or cb is called; no later message is delivered
// before cb ran.
func (n *Node) MonFunc(portID string, cb func(reason []any)) (*Guard, error) {
	nodeID, port := splitPort(portID)
	if nodeID == "" {
		return nil, fmt.Errorf("%w: %q", ErrBadPortID, portID)
	}
	if n.closed() {
		return nil, ErrClosed
	}
	m := &monitor{cb: cb}
	if nodeID == n.id {
		n.mu.Lock()
		if n.ports[port] == nil {
			n.mu.Unlock()
			n.loop.post(item{fn: func() {
				m.fire([]any{"no_such_port", "cannot monitor nonexistent port", n.id + "#" + port})
			}})
			return newGuard(func() {}), nil
		}
		n.lmon[port] = append(n.lmon[port], m)
		n.mu.Unlock()
		return newGuard(func() { n.unmonitorLocal(port, m) }), nil
	}
	r := n.remote(nodeID).monitor(port, m)
	return newGuard(func() { r.unmonitor(port, m) }), nil
}

// MonKill kills rcvPort with the same reason when port dies abnormally
// (with a non-empty reason); a normal kil does nothing. This is Perl's
// `mon $port, $rcvport` link.
func (n *Node) MonKill(portID, rcvPort string) (*Guard, error) {
	return n.MonFunc(portID, func(reason []any) {
		if len(reason) > 0 {
			n.Kil(rcvPort, reason...)
		}
	})
}

// MonSend sends [msg..., reason...] to rcvPort when port dies, for any
// reason (Perl's `mon $port, $rcvport, @msg`).
func (n *Node) MonSend(portID, rcvPort string, msg ...any) (*Guard, error) {
	msg = append([]any(nil), msg...)
	return n.MonFunc(portID, func(reason []any) {
		n.Snd(rcvPort, append(append([]any(nil), msg...), reason...)...)
	})
}

func (n *Node) unmonitorLocal(port string, m *monitor) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.lmon[port] = removeMonitor(n.lmon[port], m)
	if len(n.lmon[port]) == 0 {
		delete(n.lmon, port)
	}
}

func removeMonitor(l []*monitor, m *monitor) []*monitor {
	for i, e := range l {
		if e == m {
			return append(l[:i], l[i+1:]...)
		}
	}
	return l
}

// joinReason formats a reason list as Perl's "@reason" does.
func joinReason(reason []any) string {
	parts := make([]string, len(reason))
	for i, r := range reason {
		s, ok := protocol.PerlString(r)
		if !ok {
			s = fmt.Sprint(r)
		}
		parts[i] = s
	}
	return strings.Join(parts, " ")
}

// nodeMonitor is a mon_nodes callback.
type nodeMonitor struct {
	cb func(nodeID string, up bool, reason []any)
}

// MonNodes calls cb each time a connection to a node comes up or goes down
// (Kernel.pm's mon_nodes). cb runs on the dispatch goroutine.
func (n *Node) MonNodes(cb func(nodeID string, up bool, reason []any)) *Guard {
	nm := &nodeMonitor{cb: cb}
	n.mu.Lock()
	n.nodeMons = append(n.nodeMons, nm)
	n.mu.Unlock()
	return newGuard(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		for i, e := range n.nodeMons {
			if e == nm {
				n.nodeMons = append(n.nodeMons[:i:i], n.nodeMons[i+1:]...)
				return
			}
		}
	})
}

// nodeEvent tells the node monitors (on the dispatch goroutine).
func (n *Node) nodeEvent(nodeID string, up bool, reason []any) {
	if up {
		n.log.Debug("node is up", "peer", nodeID)
	} else {
		n.log.Debug("node is down", "peer", nodeID, "reason", joinReason(reason))
	}
	n.mu.Lock()
	mons := append([]*nodeMonitor(nil), n.nodeMons...)
	n.mu.Unlock()
	for _, m := range mons {
		func() {
			defer func() {
				if r := recover(); r != nil {
					n.log.Error("node monitor callback panicked", "err", r)
				}
			}()
			m.cb(nodeID, up, reason)
		}()
	}
}

// UpNodes returns the IDs of all connected nodes.
func (n *Node) UpNodes() []string {
	n.mu.Lock()
	rs := make([]*remote, 0, len(n.remotes))
	for _, r := range n.remotes {
		rs = append(rs, r)
	}
	n.mu.Unlock()
	var up []string
	for _, r := range rs {
		if r.isUp() {
			up = append(up, r.id)
		}
	}
	return up
}

// NodeIsUp reports whether there is a working connection to the node (the
// local node is always up).
func (n *Node) NodeIsUp(nodeID string) bool {
	if nodeID == n.id {
		return true
	}
	r := n.knownRemote(nodeID)
	return r != nil && r.isUp()
}
