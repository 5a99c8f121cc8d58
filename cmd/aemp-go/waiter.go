package main

import (
	"context"
	"fmt"

	"github.com/aemp-go/aemp-go/node"
)

// event is what a protocol command waits for: a message on its reply
// port, or the kill reason of the port it monitors.
type event struct {
	values []any
	died   bool
}

// waiter collects the first event. Its callbacks run on the node's
// dispatch goroutine and must never block, so later events are dropped.
type waiter struct{ ch chan event }

func newWaiter() *waiter { return &waiter{ch: make(chan event, 1)} }

func (w *waiter) put(e event) {
	select {
	case w.ch <- e:
	default:
	}
}

// replyPort makes a one-shot reply port (aemp's `port { &$cv }` that cal
// and eval append to their messages).
func (w *waiter) replyPort(n *node.Node) *node.Port {
	return n.NewPort(func(self *node.Port, args []any) {
		self.Kil()
		if args == nil {
			args = []any{}
		}
		w.put(event{values: args})
	})
}

// monitor records the death of port (aemp's `mon $port, $cv`).
func (w *waiter) monitor(n *node.Node, port string) (*node.Guard, error) {
	g, err := n.MonFunc(port, func(reason []any) { w.put(event{values: reason, died: true}) })
	if err != nil {
		return nil, usageErr("%v", err)
	}
	return g, nil
}

// wait returns the first event, or fails when ctx ends: with the given
// message on a timeout, or as interrupted when the user stopped us.
func (s *session) wait(ctx context.Context, w *waiter, format string, args ...any) (event, error) {
	select {
	case e := <-w.ch:
		return e, nil
	case <-ctx.Done():
		if s.ctx.Err() != nil {
			return event{}, noReplyErr("interrupted")
		}
		return event{}, noReplyErr("%s", fmt.Sprintf(format, args...))
	}
}

// protoCtx bounds one protocol command by aemp's timeout (five seconds
// unless --timeout says otherwise), connection set-up included.
func (s *session) protoCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(s.ctx, s.opts.timeout)
}
