package node

import "unsafe"

// lastDelivery remembers where the last message to a local port went, so
// that a stream of messages to one port and tag finds its handler without
// Node.mu and two map lookups per message (a tenth of a Go-to-Go
// receiver's time). It belongs to whoever runs the dispatch loop (loop.go):
// only deliver reads and writes it, and deliveries never overlap.
//
// It is valid while Node.portsGen is unchanged: every change to the ports
// and their handlers (NewPort, Default, Rcv, kill) bumps the generation
// under Node.mu. A change made by another goroutine while a message is
// being delivered may or may not be seen by that message, as without the
// cache; a change made by a handler is seen by the next message.
type lastDelivery struct {
	gen     uint64
	name    string  // the port
	src     string  // the node the message came from: Port handles carry it
	h       Handler // nil: nothing remembered
	p       *Port
	hasTags bool   // the port has tag handlers: the message's tag must match
	tag     string // the tag h is registered for, when tagged
	tagged  bool   // h is a tag handler (gets data[1:]), not the default
}

// find returns the handler, port handle and arguments for a message if
// they are the remembered ones, or a nil handler.
func (d *lastDelivery) find(n *Node, name string, data []any, src string) (Handler, *Port, []any) {
	if d.h == nil || !sameString(d.name, name) || !sameString(d.src, src) || d.gen != n.portsGen.Load() {
		return nil, nil, nil
	}
	if !d.hasTags {
		return d.h, d.p, data
	}
	if !d.tagged || len(data) == 0 {
		return nil, nil, nil // the default handler depends on the tag finding nothing
	}
	if key, ok := data[0].(string); !ok || !sameString(key, d.tag) {
		return nil, nil, nil
	}
	return d.h, d.p, data[1:]
}

// sameString is a == b, without a call to compare the bytes when both
// are the same string (the decoder's caches hand out the port, the
// sender's node ID and the tag of a stream as one string each, so a
// stream's messages compare that way).
func sameString(a, b string) bool {
	return len(a) == len(b) && (unsafe.StringData(a) == unsafe.StringData(b) || a == b)
}
