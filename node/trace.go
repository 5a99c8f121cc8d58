package node

import (
	"fmt"

	"github.com/aemp-go/aemp-go/protocol"
)

// trace writes one PERL_ANYEVENT_MP_TRACE line. Senders and every
// connection's reader trace concurrently; the line is formatted first and
// handed to Config.Trace in one Write under n.traceMu, so lines never
// interleave and the writer needs no locking of its own.
func (n *Node) trace(format string, args ...any) {
	if n.cfg.Trace == nil {
		return
	}
	line := fmt.Appendf(nil, format+"\n", args...)
	n.traceMu.Lock()
	n.cfg.Trace.Write(line)
	n.traceMu.Unlock()
}

// traceJSON renders [port, msg...] as Perl's trace does. Quirk: Perl's SND
// trace prints the node port as null (it prints undef), although the wire
// carries "".
func traceJSON(port string, msg []any, nullPort bool) string {
	b, err := protocol.AppendJSON(nil, protocol.Message{Port: port, Data: msg})
	if err != nil {
		return fmt.Sprintf("[%q %v]", port, retain(msg))
	}
	if nullPort {
		b = append([]byte("[null"), b[3:]...)
	}
	return string(b)
}
