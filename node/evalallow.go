package node

import (
	"os"
	"strings"
)

// A Go node cannot evaluate Perl, yet Perl's own tools ask nodes questions
// with eval (Kernel.pm's "eval" node request: run the string, then, when a
// reply list was given, `snd @reply, "$@", @results`). aemp trace, for
// one, sends
//
//	["eval", "AnyEvent::MP::Kernel::up_nodes", $reply_port, $node]
//
// to every node it finds and expects [$node, "", @up_nodes] back. So that
// Go nodes take part in these tools, the node answers a short, fixed list
// of read-only expressions with exactly what a Perl node would return;
// everything else is refused as Perl's secure mode refuses it (no reply,
// a logged error). Nothing here runs code chosen by the peer: an entry is
// matched as a whole string and answers from the node's own state.

// evalFunc computes the result list of one allowed expression.
type evalFunc func(n *Node) []any

// evalAllowlist is every expression a Go node answers. Each entry must be
// read-only (it changes nothing on the node) and reveal nothing a peer
// could not already learn through the node protocol or the global
// database.
var evalAllowlist = map[string]evalFunc{
	// What aemp trace asks every node: the IDs of the nodes it is
	// connected to, without itself. Safe: the same node IDs are in the
	// global database ('l family) for every member of the mesh, and a
	// global node sends them to any slave that asks.
	"AnyEvent::MP::Kernel::up_nodes": func(n *Node) []any { return anySlice(n.UpNodes()) },
	// The node's ID ($NODE). Safe: the peer knows it from the greeting.
	"$AnyEvent::MP::Kernel::NODE": evalNodeID,
	"AnyEvent::MP::Kernel::NODE":  evalNodeID,
	// The host name, which Perl uses for the default profile and bare
	// port binds. Safe: it is part of default node IDs and bind
	// addresses already.
	"AnyEvent::MP::Kernel::nodename": func(*Node) []any {
		h, _ := os.Hostname()
		return []any{h}
	},
	// The process ID, aemp's own example (aemp eval NODE '$$'). Safe: a
	// number that names nothing outside the host.
	"$$": func(*Node) []any { return []any{os.Getpid()} },
}

func evalNodeID(n *Node) []any { return []any{n.id} }

// allowedEval returns the answer to an eval request, or false when the
// expression is not on the list. The match is on the whole expression
// after trimming white space and one trailing ";", and a function entry
// also matches with "()" appended, since Perl runs all these spellings
// the same way.
func allowedEval(expr string) (evalFunc, bool) {
	e := strings.TrimSpace(expr)
	e = strings.TrimSpace(strings.TrimSuffix(e, ";"))
	if f, ok := evalAllowlist[e]; ok {
		return f, true
	}
	if base, ok := strings.CutSuffix(e, "()"); ok && !strings.HasPrefix(base, "$") {
		f, ok := evalAllowlist[strings.TrimSpace(base)]
		return f, ok
	}
	return nil, false
}

func anySlice[T any](l []T) []any {
	out := make([]any, len(l))
	for i, v := range l {
		out[i] = v
	}
	return out
}
