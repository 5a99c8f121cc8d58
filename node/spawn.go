package node

import (
	"fmt"
	"strings"
)

// Func is a function that other nodes may call by name: as a spawn init
// function (self is the new port, which the function must give a handler
// with Rcv or Default, or it will not exist), or directly with a message
// ["", "Name", args...] to the node port (self is nil).
type Func func(self *Port, args []any)

// Register makes fn callable from the network under name, which should be
// a fully-qualified Perl-style name such as "MyApp::Chat::Server::connect"
// (spawn requires "::"). Nothing else is callable: remote calls to names
// that were not registered are refused and logged. This is the Go
// counterpart of Perl's load_func, deny-by-default.
func (n *Node) Register(name string, fn Func) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.funcs[name] = fn
}

// spawnFunc is the name Perl's spawn calls on the target node.
const spawnFunc = "AnyEvent::MP::_spawn"

// Spawn creates a port on another node (or this one) by calling the
// registered init function there, and returns the new port ID at once; it
// is fine to send to or monitor it immediately. The port is named by the
// caller, as Perl does: this node's RUNIQ plus the port counter. node may
// also be a port ID, meaning that port's node.
//
// If the init function does not exist or panics, the port never comes
// into being; monitor it to find out.
func (n *Node) Spawn(node, initFunc string, args ...any) (string, error) {
	nodeID := NodeOf(node)
	if nodeID == "" {
		return "", fmt.Errorf("%w: %q", ErrBadPortID, node)
	}
	if !strings.Contains(initFunc, "::") {
		return "", fmt.Errorf("%w: %q", ErrNotFunction, initFunc)
	}
	id := n.runiq + n.nextName()
	msg := append([]any{spawnFunc, id, initFunc}, args...)
	// On the local node the call goes through the dispatch loop, so the
	// init function has no visible effect before Spawn returns.
	if err := n.Snd(nodeID+"#", msg...); err != nil {
		return "", err
	}
	return nodeID + "#" + id, nil
}

// callFunc runs a request to the node port whose tag is not a kernel
// request: a spawn, or a registered function (Perl: load_func on the tag).
func (n *Node) callFunc(src, name string, args []any) {
	if n.cfg.Secure {
		// Perl's _secure_check refuses every function call in secure
		// mode, spawns included.
		n.log.Warn("error processing node message", "from", src, "request", name, "err", "remote execution not allowed")
		return
	}
	if name == spawnFunc {
		n.spawnHere(src, argString(args, 0), argString(args, 1), args[min(2, len(args)):])
		return
	}
	n.mu.Lock()
	fn := n.funcs[name]
	n.mu.Unlock()
	if fn == nil {
		n.log.Warn("error processing node message", "from", src, "request", name,
			"err", fmt.Sprintf("unable to resolve function '%s'", name))
		return
	}
	fn(nil, args)
}

// spawnHere is Perl's _spawn: call the init function in the context of the
// port (whose name the spawner chose); a failure kills that port with
// ["die", msg], which does nothing if init never created it.
func (n *Node) spawnHere(src, name, initFunc string, args []any) {
	p := &Port{n: n, name: name, src: src}
	n.mu.Lock()
	fn := n.funcs[initFunc]
	n.mu.Unlock()
	if fn == nil {
		msg := fmt.Sprintf("unable to resolve function '%s'", initFunc)
		n.log.Warn("spawn failed", "from", src, "port", p.ID(), "err", msg)
		p.Kil("die", msg)
		return
	}
	p.Peval(func() { fn(p, args) })
}
