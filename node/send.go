package node

import (
	"fmt"

	"github.com/aemp-go/aemp-go/protocol"
)

// nextName returns the next value of Perl's $ID counter.
func (n *Node) nextName() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.counter = perlIncr(n.counter)
	return n.counter
}

// Snd sends a message to a port, local or remote, asynchronously. Messages
// from one sender to one node arrive in order. A message to a port that
// does not exist is dropped silently, as in Perl; use MonFunc, MonKill or
// MonSend to learn about dead ports. Snd never waits on a peer (nor on a
// handler): a message to another node is queued for its connection, and a
// peer that does not keep up loses its connection once Config.MaxSendQueue
// is reached, as a transport error that monitors of its ports hear.
func (n *Node) Snd(portID string, msg ...any) error {
	nodeID, port := splitPort(portID)
	if nodeID == "" {
		return fmt.Errorf("%w: %q", ErrBadPortID, portID)
	}
	if n.closed() {
		return ErrClosed
	}
	if n.cfg.Trace != nil {
		n.trace("SND %s <- %s", nodeID, traceJSON(port, msg, port == ""))
	}
	if nodeID == n.id {
		n.loop.post(item{port: port, data: retain(msg), src: n.id})
		return nil
	}
	return n.remote(nodeID).send(port, msg)
}

// retain copies a message list that outlives the call that passed it.
//
// Snd's variadic list stays on the caller's stack (a heap allocation per
// message less) as long as nothing keeps it: a message to another node is
// normally encoded into the connection's buffer at once, so only the
// slower paths (local delivery, the queue of a node being connected)
// keep a copy. The elements themselves are not copied: a local handler
// gets the very values that were sent, as in Perl. (append to nil, not
// slices.Clone, which the compiler sees as returning its argument.)
func retain(msg []any) []any { return append([]any(nil), msg...) }

// sndList sends a message given as one list whose first element is the
// port ID, as Perl's `snd @_` does with a reply list.
func (n *Node) sndList(list []any) {
	if len(list) == 0 {
		return
	}
	port, ok := protocol.PerlString(list[0])
	if !ok {
		n.log.Warn("cannot send: destination is not a port ID", "dest", list[0])
		return
	}
	if err := n.Snd(port, list[1:]...); err != nil {
		n.log.Debug("send failed", "port", port, "err", err)
	}
}

// Kil kills a port, local or remote. Without a reason the port dies
// "normally": monitors are told, but ports linked with MonKill are not
// killed. Killing a local port always happens on the dispatch goroutine,
// never inside the call (Perl delays kil too).
func (n *Node) Kil(portID string, reason ...any) error {
	nodeID, port := splitPort(portID)
	if nodeID == "" {
		return fmt.Errorf("%w: %q", ErrBadPortID, portID)
	}
	if port == "" {
		return fmt.Errorf("%w: %s", ErrNodePort, portID)
	}
	if n.closed() {
		return ErrClosed
	}
	if nodeID == n.id {
		n.loop.post(item{fn: func() { n.kill(port, reason) }})
		return nil
	}
	return n.remote(nodeID).send("", append([]any{"kil1", port}, reason...))
}
