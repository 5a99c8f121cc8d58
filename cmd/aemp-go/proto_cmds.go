package main

import (
	"fmt"
	"strings"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// protocolCommands are aemp's commands that talk to other nodes.
func protocolCommands() []*command {
	return []*command{
		{name: "snd", args: "<port> <arg>...", usage: "send a message to a port and wait until its node has it", category: catProtocol,
			help:  "Prints \"message sent successfully\" once the port's node confirmed it, or the port's kill reason if the monitor fired first (exit 0 either way, as aemp). The message takes all remaining arguments.",
			chain: cmdSnd},
		{name: "cal", args: "<port> <arg>...", usage: "send a message with a reply port appended and print the reply as JSON", category: catProtocol,
			help:  "Prints the reply values as a JSON array without brackets, e.g. `aemp-go cal seed time` prints 1795534453.93247. Exits 1 if no reply arrives within the timeout or the port dies first (aemp would wait for ever, and print an empty line on death).",
			chain: cmdCal},
		{name: "mon", args: "<port>", usage: "wait until a port is killed and print the kill reason", category: catProtocol,
			help:  "Waits without a time limit once connected (only connecting is bounded by --timeout). Further words are read as the next command, as in aemp.",
			chain: cmdMon},
		{name: "eval", args: "<node> <perl expr>...", usage: "evaluate a Perl expression on a Perl node and print the results", category: catProtocol,
			help:  "Only Perl nodes evaluate Perl. A Go node answers a few read-only expressions the way a Perl node would (AnyEvent::MP::Kernel::up_nodes, $AnyEvent::MP::Kernel::NODE, AnyEvent::MP::Kernel::nodename, $$) and refuses everything else like a Perl node in secure mode, without an answer, so such an eval exits 1 after the timeout.",
			chain: cmdEval},
		{name: "restart", args: "<node>", usage: "restart a Perl node that runs under AnyEvent::Watchdog (via eval)", category: catProtocol,
			chain: func(s *session) error {
				nodeArg, err := s.needString("node id missing")
				if err != nil {
					return err
				}
				return s.nodeEval(node.NodeOf(nodeArg), restartExpr)
			}},
		traceCommand(),
		logsCommand(),
	}
}

// restartExpr is the Perl code bin/aemp's restart command evaluates.
const restartExpr = `my $w; $w = AE::idle sub { undef $w; use AnyEvent::Watchdog::Util ();AnyEvent::Watchdog::Util::restart}; ()`

// cmdSnd is aemp's snd: send, then have the port's node relay a message
// back to us (its "snd" request), which proves the first one arrived,
// since messages between two nodes keep their order.
func cmdSnd(s *session) error {
	port, err := s.needString("port missing")
	if err != nil {
		return err
	}
	msg := wireValues(s.rest())
	nodeID := node.NodeOf(port)
	e, err := s.request(port, func(n *node.Node, reply string) error {
		if err := n.Snd(port, msg...); err != nil {
			return err
		}
		return n.Snd(nodeID, "snd", reply, "message sent successfully")
	}, "no confirmation from node %s within %v", nodeID, s.opts.timeout)
	if err != nil {
		return err
	}
	fmt.Fprint(s.stdout, joinOutput(e.values))
	return nil
}

// cmdCal is aemp's cal: Perl's cal without a timeout, which monitors the
// port, plus aemp-go's time limit.
func cmdCal(s *session) error {
	port, err := s.needString("port missing")
	if err != nil {
		return err
	}
	msg := wireValues(s.rest())
	e, err := s.request(port, func(n *node.Node, reply string) error {
		return n.Snd(port, append(msg, reply)...)
	}, "no reply from %s within %v", port, s.opts.timeout)
	if err != nil {
		return err
	}
	if e.died {
		return noReplyErr("port %s died before replying: %s", port, joinReason(e.values))
	}
	fmt.Fprintln(s.stdout, calOutput(e.values))
	return nil
}

// request reaches the node of watch, monitors watch, sends what send
// sends (given a fresh reply port's ID) and waits, within the timeout,
// for the reply or watch's death: the shape of aemp's snd, cal and eval.
func (s *session) request(watch string, send func(n *node.Node, reply string) error, noReply string, args ...any) (event, error) {
	ctx, cancel := s.protoCtx()
	defer cancel()
	c, err := s.cliNode()
	if err != nil {
		return event{}, err
	}
	if err := c.reach(ctx, node.NodeOf(watch)); err != nil {
		return event{}, err
	}
	w := newWaiter()
	g, err := w.monitor(c.n, watch)
	if err != nil {
		return event{}, err
	}
	defer g.Stop()
	rp := w.replyPort(c.n)
	defer rp.Kil()
	if err := send(c.n, rp.ID()); err != nil {
		return event{}, usageErr("%v", err)
	}
	return s.wait(ctx, w, noReply, args...)
}

// cmdMon is aemp's mon.
func cmdMon(s *session) error {
	port, err := s.needString("port missing")
	if err != nil {
		return err
	}
	ctx, cancel := s.protoCtx()
	defer cancel()
	c, err := s.cliNode()
	if err != nil {
		return err
	}
	if err := c.reach(ctx, node.NodeOf(port)); err != nil {
		return err
	}
	w := newWaiter()
	g, err := w.monitor(c.n, port)
	if err != nil {
		return err
	}
	defer g.Stop()
	e, err := s.wait(s.ctx, w, "")
	if err != nil {
		return err
	}
	fmt.Fprint(s.stdout, joinOutput(e.values))
	return nil
}

// cmdEval is aemp's eval: all remaining words, joined by blanks, are the
// expression.
func cmdEval(s *session) error {
	nodeArg, err := s.needString("node id missing")
	if err != nil {
		return err
	}
	words := perlWords(s.rest())
	return s.nodeEval(node.NodeOf(nodeArg), strings.Join(words, " "))
}

// nodeEval is bin/aemp's node_eval: send ["eval", expr, replyport] to the
// node port, watch the node, and print the results; a Perl error ($@) is
// the first reply value.
func (s *session) nodeEval(nodeID, expr string) error {
	e, err := s.request(nodeID, func(n *node.Node, reply string) error {
		return n.Snd(nodeID, "eval", expr, reply)
	}, "no reply from node %s within %v (only Perl nodes evaluate Perl code; a Go node answers only a few read-only expressions such as AnyEvent::MP::Kernel::up_nodes, and nodes in secure mode none)", nodeID, s.opts.timeout)
	if err != nil {
		return err
	}
	if len(e.values) > 0 {
		if perr, _ := protocol.PerlString(e.values[0]); perr != "" || e.died {
			// Perl's $@ ends in a newline, which die prints as is.
			return noReplyErr("%s", strings.TrimRight(joinReason(e.values), "\n"))
		}
		e.values = e.values[1:]
	}
	fmt.Fprintln(s.stdout, calOutput(e.values))
	return nil
}
