package node

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/aemp-go/aemp-go/protocol"
)

// Handler handles one message on a port. self is the receiving port
// (Perl's $SELF). A default handler gets the whole message; a tag
// handler gets the message without its tag. A panic kills the port with
// the reason ["die", message].
type Handler func(self *Port, args []any)

// Port is a handle for a local port; it stays valid after the port died
// (operations on a dead port do nothing).
//
// Perl's mon_guard ($port, @refs: keep watchers alive until the port
// dies) has no counterpart: Go frees what nothing references. To stop a
// timer or release a resource when a port dies, monitor it:
//
//	g, _ := n.MonFunc(p.ID(), func([]any) { ticker.Stop() })
//
// and Stop the guard to cancel that, as dropping mon_guard's guard does.
type Port struct {
	n    *Node
	name string
	// src is the node that sent the message this handle was made for
	// (Perl's $SRCNODE); "" on handles not given to a handler.
	src string
}

type portState struct {
	def  Handler
	tags map[string]Handler
	// self is the handle the last delivery passed to a handler. A Port is
	// immutable, so the next message from the same node gets the same
	// handle instead of a new one: one allocation less per message (with
	// its share of garbage collection, about a sixth of the receive time
	// of a Go-to-Go stream).
	self *Port
}

// ID returns the port ID, "nodeid#name".
func (p *Port) ID() string { return p.n.id + "#" + p.name }

// String returns the port ID.
func (p *Port) String() string { return p.ID() }

// Node returns the node the port lives on.
func (p *Port) Node() *Node { return p.n }

// SrcNode returns the ID of the node that sent the message being handled
// (Perl's $AnyEvent::MP::Kernel::SRCNODE): the self a handler or spawn
// init function receives is an immutable handle carrying that message's
// source (messages from the same node may share it), so the answer
// cannot change under it or leak into another message's handler, even if
// the handler keeps self for later. It is this node's ID for local sends
// and "" on handles that did not come from a delivery (NewPort, Port).
// Like Perl's, it names the connection the message came in on, which is
// the sender's node unless the message was relayed with snd_on.
func (p *Port) SrcNode() string { return p.src }

// PortIsLocal reports whether a port ID (or node ID) names this node
// (Kernel.pm's port_is_local: the part before "#" equals our node ID).
func (n *Node) PortIsLocal(portID string) bool { return NodeOf(portID) == n.id }

// NewPort creates a local port. With a handler it is the port's default
// handler. Without one, any message that no tag handler takes kills the
// port with ["unhandled_message", "no callback found for message '<tag>'"],
// as Perl's `port` without a block does.
func (n *Node) NewPort(h Handler) *Port {
	p := &Port{n: n, name: n.uniq + n.nextName()}
	if h == nil {
		h = kilme
	}
	if n.closed() {
		return p // documented: a port that does not exist
	}
	n.mu.Lock()
	n.ports[p.name] = &portState{def: h}
	n.portsGen.Add(1)
	n.mu.Unlock()
	return p
}

// Port returns a handle for the local port with the given ID or name,
// whether it exists or not (Rcv on it creates it, as in Perl).
func (n *Node) Port(idOrName string) (*Port, error) {
	name := idOrName
	if nodeID, port, ok := strings.Cut(idOrName, "#"); ok {
		if nodeID != n.id {
			return nil, fmt.Errorf("%w: %s", ErrNotLocal, idOrName)
		}
		name = port
	}
	return &Port{n: n, name: name}, nil
}

// kilme is the default handler of a port made without one.
func kilme(self *Port, args []any) {
	tag := ""
	if len(args) > 0 {
		tag, _ = protocol.PerlString(args[0])
	}
	if len(tag) > 30 {
		tag = tag[:30]
	}
	tag = nonPrintable.ReplaceAllString(tag, ".")
	self.Kil("unhandled_message", "no callback found for message '"+tag+"'")
}

var nonPrintable = regexp.MustCompile(`[^\x20-\x7e]`)

// Default replaces the port's default handler (Perl's `rcv $port, $cb`).
// Calling it on a port that does not exist creates the port.
func (p *Port) Default(h Handler) *Port {
	if h == nil {
		h = func(*Port, []any) {}
	}
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	p.n.portsGen.Add(1)
	if ps := p.n.ports[p.name]; ps != nil {
		ps.def = h
	} else {
		p.n.ports[p.name] = &portState{def: h}
	}
	return p
}

// Rcv sets the handler for messages whose first element is tag (Perl's
// `rcv $port, tag => $cb`); a nil handler removes it. Calling it on a
// port that does not exist creates the port; such a port, unlike one
// from NewPort, ignores messages no tag handler takes, exactly as Perl's
// does (its default callback is an empty sub).
func (p *Port) Rcv(tag string, h Handler) *Port {
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	p.n.portsGen.Add(1)
	ps := p.n.ports[p.name]
	if ps == nil {
		ps = &portState{def: func(*Port, []any) {}}
		p.n.ports[p.name] = ps
	}
	if h == nil {
		delete(ps.tags, tag)
		return p
	}
	if ps.tags == nil {
		ps.tags = map[string]Handler{}
	}
	ps.tags[tag] = h
	return p
}

// Kil kills the port (see Node.Kil).
func (p *Port) Kil(reason ...any) { p.n.Kil(p.ID(), reason...) }

// Alive reports whether the port exists.
func (p *Port) Alive() bool {
	p.n.mu.Lock()
	defer p.n.mu.Unlock()
	return p.n.ports[p.name] != nil
}

// Peval runs f in the context of the port: a panic in f kills the port
// with ["die", message] instead of propagating (Perl's peval).
func (p *Port) Peval(f func()) {
	defer p.recoverDie()
	f()
}

// PevalResult runs f in the context of the port as Peval does and
// returns what f returns; ok is false, and the result the zero value,
// when f panicked and the port was killed (Perl's peval returning the
// callback's values, or nothing after a die). Perl's extra arguments
// are the closure's captured variables in Go:
//
//	sum, ok := node.PevalResult(p, func() int { return a + b })
func PevalResult[T any](p *Port, f func() T) (result T, ok bool) {
	p.Peval(func() {
		result = f()
		ok = true
	})
	return result, ok
}

// Psub wraps f so that, wherever it is called from, a panic kills the port
// (Perl's psub), e.g. for timers started from a handler.
func (p *Port) Psub(f func(args ...any)) func(args ...any) {
	return func(args ...any) { p.Peval(func() { f(args...) }) }
}

// recoverDie turns a panic into `kil $SELF, die => $msg`, with trailing
// newlines removed from the message as Perl's _self_die does.
func (p *Port) recoverDie() {
	if r := recover(); r != nil {
		var msg string
		switch x := r.(type) {
		case error:
			msg = x.Error()
		default:
			msg = fmt.Sprint(x)
		}
		msg = strings.TrimRight(msg, "\n")
		p.n.log.Debug("port died", "port", p.ID(), "die", msg)
		p.Kil("die", msg)
	}
}

// deliver runs the handler for a message on a local port (on the
// dispatch goroutine). Messages to ports that do not exist are dropped.
func (n *Node) deliver(name string, data []any, src string) {
	h, p, args := n.last.find(n, name, data, src)
	if h == nil {
		h, p, args = n.lookupHandler(name, data, src)
	}
	if h == nil {
		return
	}
	defer p.recoverDie()
	h(p, args)
}

// lookupHandler finds the handler of a message to a local port, and the
// arguments it gets, and remembers them in n.last.
func (n *Node) lookupHandler(name string, data []any, src string) (Handler, *Port, []any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	ps := n.ports[name]
	if ps == nil {
		return nil, nil, nil
	}
	h, args, tag, tagged := ps.def, data, "", false
	if len(ps.tags) > 0 && len(data) > 0 {
		if key, ok := tagKey(data[0]); ok {
			if th := ps.tags[key]; th != nil {
				h, args, tag, tagged = th, data[1:], key, true
			}
		}
	}
	p := ps.self
	if p == nil || p.src != src {
		p = &Port{n: n, name: name, src: src}
		ps.self = p
	}
	n.last = lastDelivery{gen: n.portsGen.Load(), name: name, src: src, h: h, p: p,
		hasTags: len(ps.tags) > 0, tag: tag, tagged: tagged}
	return h, p, args
}

// kill is Kernel.pm's _kill: remove the port and run its monitors with the
// reason. Killing a port that does not exist is fine.
func (n *Node) kill(name string, reason []any) {
	n.mu.Lock()
	if n.ports[name] == nil {
		n.mu.Unlock()
		return
	}
	delete(n.ports, name)
	n.portsGen.Add(1)
	mons := n.lmon[name]
	delete(n.lmon, name)
	n.mu.Unlock()
	if len(mons) == 0 && len(reason) > 0 {
		n.log.Warn("unmonitored local port died", "port", n.id+"#"+name, "reason", joinReason(reason))
	}
	for _, m := range mons {
		m.fire(reason)
	}
}

// tagKey is the first element of a message as Perl uses it to find a tag
// handler: MP.pm looks it up as a hash key, which stringifies it. So the
// number 1 finds the handler for "1", 1.5 the one for "1.5", a decoded
// JSON/CBOR true "1" and false "0" (Types::Serialiser booleans stringify
// as numbers), null "" (with a warning in Perl). Arrays and maps
// stringify to addresses such as "HASH(0x...)", which no tag matches.
func tagKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	}
	return protocol.PerlString(v)
}
