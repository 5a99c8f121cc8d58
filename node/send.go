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
		n.loop.post(item{port: port, data: msg, src: n.id})
		return nil
	}
	return n.remote(nodeID).send(protocol.Message{Port: port, Data: msg})
}

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
	return n.remote(nodeID).send(protocol.Message{Data: append([]any{"kil1", port}, reason...)})
}
