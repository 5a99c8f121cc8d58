package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
	"github.com/urfave/cli/v2"
)

// defaultTraceTimeout is how long aemp's trace waits for each node.
const defaultTraceTimeout = 15 * time.Second

// upNodesExpr is what aemp's trace evaluates on every node it finds.
const upNodesExpr = "AnyEvent::MP::Kernel::up_nodes"

func traceCommand() *command {
	return &command{name: "trace", args: "[--dot] <node>", usage: "print the node connections of the network, starting at a node", category: catProtocol,
		help: `Like aemp trace: asks the node for the nodes it is connected to (by evaluating
AnyEvent::MP::Kernel::up_nodes there), then asks each of those, and prints one
line "node -> neighbours..." per node; the first line, "seed -> <node>", names
the starting point. A node that does not answer within --node-timeout is
printed as "<node> (timeout)" and makes the exit code 1.

Perl nodes evaluate the question; Go nodes answer this one expression from an
allowlist, so traces cross mixed meshes. Nodes in secure mode (Perl or Go)
refuse eval and show up as "(timeout)".

With --dot the same trace is printed as a Graphviz graph instead, one edge
per connection, the starting node drawn bold and nodes that did not answer
dashed red:

  aemp-go trace --dot seed | dot -Tsvg > mesh.svg`,
		flags: []cli.Flag{&cli.DurationFlag{Name: "node-timeout", Value: defaultTraceTimeout, Usage: "how long to wait for each node's answer"},
			&cli.BoolFlag{Name: "dot", Usage: "print a Graphviz graph (dot) instead of aemp's lines"}},
		apply: func(c *cli.Context, o *options) {
			o.traceTimeout = c.Duration("node-timeout")
			o.traceDot = c.Bool("dot")
		},
		chain: cmdTrace}
}

// tracer is the state of one trace. Everything but the reach goroutines
// runs on the node's dispatch goroutine (the reply port handler and
// AfterFunc callbacks), as aemp's callbacks run on its event loop, so it
// needs no lock.
type tracer struct {
	s        *session
	c        *cliNode
	timeout  time.Duration
	rp       *node.Port
	seen     map[string]bool
	awaiting map[string]int // answers still expected, per node
	pending  int            // aemp's condvar count
	failed   bool
	done     chan struct{}
	graph    *traceGraph // set with --dot: collect instead of printing
}

func cmdTrace(s *session) error {
	start, err := s.needString("node id missing")
	if err != nil {
		return err
	}
	c, err := s.cliNode()
	if err != nil {
		return err
	}
	timeout := s.opts.traceTimeout
	if timeout <= 0 {
		timeout = defaultTraceTimeout
	}
	t := &tracer{s: s, c: c, timeout: timeout, seen: map[string]bool{},
		awaiting: map[string]int{"seed": 1}, pending: 1, done: make(chan struct{})}
	if s.opts.traceDot {
		t.graph = newTraceGraph(start)
	}
	t.rp = c.n.NewPort(t.answer)
	defer t.rp.Kil()
	// aemp starts by sending itself a fake answer: "seed" is connected
	// to the node to start from.
	c.n.Snd(t.rp.ID(), "seed", nil, start)
	select {
	case <-t.done:
	case <-s.ctx.Done():
		return noReplyErr("interrupted")
	}
	if t.graph != nil {
		t.graph.write(s.stdout)
	}
	if t.failed {
		return &exitError{exitNoReply, errSilent}
	}
	return nil
}

// errSilent is an error whose message was already printed.
var errSilent = errors.New("")

// answer handles [node, $@, up_nodes...] from a node's eval.
func (t *tracer) answer(_ *node.Port, args []any) {
	from, _ := protocol.PerlString(argAt(args, 0))
	if t.awaiting[from] == 0 {
		return // too late: already reported as a timeout
	}
	t.awaiting[from]--
	self := t.c.n.ID()
	var neigh []string
	for _, a := range args[min(2, len(args)):] {
		if id, ok := protocol.PerlString(a); ok && id != self {
			neigh = append(neigh, id)
		}
	}
	if t.graph != nil {
		t.graph.answer(from, neigh)
	} else {
		fmt.Fprintf(t.s.stdout, "%s -> %s\n", from, strings.Join(neigh, " "))
	}
	for _, nb := range neigh {
		if t.seen[nb] {
			continue
		}
		t.seen[nb] = true
		t.pending++
		t.awaiting[nb]++
		t.c.n.AfterFunc(t.timeout, func() { t.giveUp(nb, "timeout") })
		go t.ask(nb)
	}
	t.end()
}

// ask connects to a node and sends it the question. Connecting may take
// a while, so it runs off the dispatch goroutine.
func (t *tracer) ask(id string) {
	ctx, cancel := context.WithTimeout(t.s.ctx, t.timeout)
	defer cancel()
	if err := t.c.reach(ctx, id); err != nil {
		t.c.n.AfterFunc(0, func() { t.giveUp(id, "unreachable") })
		if !errors.Is(err, context.DeadlineExceeded) {
			t.s.warnf("%v", err)
		}
		return
	}
	t.c.n.Snd(id, "eval", upNodesExpr, t.rp.ID(), id)
}

// giveUp reports a node that will not answer.
func (t *tracer) giveUp(id, why string) {
	if t.awaiting[id] == 0 {
		return
	}
	t.awaiting[id]--
	if t.graph != nil {
		t.graph.noAnswer(id, why)
	} else {
		fmt.Fprintf(t.s.stdout, "%s (%s)\n", id, why)
	}
	t.failed = true
	t.end()
}

func (t *tracer) end() {
	if t.pending--; t.pending == 0 {
		close(t.done)
	}
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}
