package node

import (
	"fmt"

	"github.com/aemp-go/aemp-go/protocol"
)

// trace writes one PERL_ANYEVENT_MP_TRACE line.
func (n *Node) trace(format string, args ...any) {
	if n.cfg.Trace != nil {
		fmt.Fprintf(n.cfg.Trace, format+"\n", args...)
	}
}

// traceJSON renders [port, msg...] as Perl's trace does. Quirk: Perl's SND
// trace prints the node port as null (it prints undef), although the wire
// carries "".
func traceJSON(port string, msg []any, nullPort bool) string {
	b, err := protocol.AppendJSON(nil, protocol.Message{Port: port, Data: msg})
	if err != nil {
		return fmt.Sprintf("[%q %v]", port, msg)
	}
	if nullPort {
		b = append([]byte("[null"), b[3:]...)
	}
	return string(b)
}
