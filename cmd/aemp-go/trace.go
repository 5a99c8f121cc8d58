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
	return &command{name: "trace", args: "<node>", usage: "print the node connections of the network, starting at a node (Perl nodes only)", category: catProtocol,
		help: `Like aemp trace: asks the node for the nodes it is connected to (by evaluating
AnyEvent::MP::Kernel::up_nodes there), then asks each of those, and prints one
line "node -> neighbours..." per node; the first line, "seed -> <node>", names
the starting point. A node that does not answer within --node-timeout is
printed as "<node> (timeout)" and makes the exit code 1.

Limit: the question is Perl code sent with eval, which only Perl nodes answer.
The Go kernel has no request that lists its connections and never evaluates
Perl, so Go nodes always show up as "(timeout)" (or "(unreachable)" when no
connection can be made), and their neighbours are not explored.`,
		flags: []cli.Flag{&cli.DurationFlag{Name: "node-timeout", Value: defaultTraceTimeout, Usage: "how long to wait for each node's answer"}},
		apply: func(c *cli.Context, o *options) { o.traceTimeout = c.Duration("node-timeout") },
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
	fmt.Fprintf(t.s.stdout, "%s -> %s\n", from, strings.Join(neigh, " "))
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
	fmt.Fprintf(t.s.stdout, "%s (%s)\n", id, why)
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
