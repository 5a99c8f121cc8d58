package node

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"
)

// PortDiedError reports that the port a Cal waited on died (or its
// connection was lost) before it replied.
type PortDiedError struct {
	Port   string
	Reason []any
}

func (e *PortDiedError) Error() string {
	if len(e.Reason) == 0 {
		return fmt.Sprintf("aemp: port %s was killed before replying", e.Port)
	}
	return fmt.Sprintf("aemp: port %s died before replying: %s", e.Port, joinReason(e.Reason))
}

// ErrTimeout is what Cal returns when no reply arrived before the
// context's deadline (it also matches context.DeadlineExceeded).
var ErrTimeout = errors.New("aemp: call timed out")

// CalFunc is Cal for handlers, which must not block (Perl's cal with a
// callback): it sends msg to port with a temporary reply port appended and
// calls cb on the dispatch goroutine with the reply, or with the error Cal
// would return. With a timeout (> 0) that error matches ErrTimeout when no
// reply arrived in time; with timeout 0 the target port is monitored
// instead, as Perl's cal without a timeout does, and cb gets a
// *PortDiedError when it dies. The reply port's ID is returned.
//
// The arguments follow Cal's order: the timeout stands where Cal takes its
// context (a handler has no context to give), then the port, then the
// callback, and the message last so that it can be variadic.
func (n *Node) CalFunc(timeout time.Duration, port string, cb func(reply []any, err error), msg ...any) (string, error) {
	return n.calFunc(port, msg, func(reply, died []any) {
		if reply != nil {
			cb(reply, nil)
			return
		}
		cb(nil, calError(port, died, timeout))
	}, timeout)
}

// calError is the error of a call to port that got no reply: died is
// ["timeout"] when the timer fired, else the target port's death reason.
func calError(port string, died []any, timeout time.Duration) error {
	if len(died) == 1 && died[0] == "timeout" && timeout > 0 {
		return fmt.Errorf("%w: no reply from %s (%w)", ErrTimeout, port, context.DeadlineExceeded)
	}
	return &PortDiedError{Port: port, Reason: died}
}

// calFunc is CalFunc with the death reason passed on.
func (n *Node) calFunc(port string, msg []any, cb func(reply, died []any), timeout time.Duration) (string, error) {
	// The reply, the timer and the monitor race each other; st.mu makes
	// the first one win and the set-up visible to the others.
	var st struct {
		sync.Mutex
		timer *time.Timer
		guard *Guard
		done  bool
	}
	finish := func(self *Port, reply, died []any) {
		st.Lock()
		if st.done {
			st.Unlock()
			return
		}
		st.done = true
		timer, guard := st.timer, st.guard
		st.Unlock()
		if timer != nil {
			timer.Stop()
		}
		guard.Stop()
		self.Kil()
		cb(reply, died)
	}
	rp := n.NewPort(func(self *Port, args []any) {
		if args == nil {
			args = []any{}
		}
		finish(self, args, nil)
	})
	st.Lock()
	if timeout > 0 {
		st.timer = time.AfterFunc(timeout, func() {
			n.loop.post(item{fn: func() { finish(rp, nil, []any{"timeout"}) }})
		})
	} else {
		g, err := n.MonFunc(port, func(reason []any) {
			if reason == nil {
				reason = []any{}
			}
			finish(rp, nil, reason)
		})
		if err != nil {
			st.Unlock()
			rp.Kil()
			return "", err
		}
		st.guard = g
	}
	guard := st.guard
	st.Unlock()
	if err := n.Snd(port, append(append([]any(nil), msg...), rp.ID())...); err != nil {
		rp.Kil()
		guard.Stop()
		return "", err
	}
	return rp.ID(), nil
}

// Cal sends msg to port with a reply port appended and waits for the
// reply. If ctx has a deadline it is the call's timeout (nothing else is
// sent); otherwise the target port is monitored, as Perl's cal without a
// timeout does, and a *PortDiedError is returned when it dies. Cal must
// not be called from a handler (it would wait for the goroutine that
// delivers the reply); use CalFunc there.
func (n *Node) Cal(ctx context.Context, port string, msg ...any) ([]any, error) {
	type result struct{ reply, died []any }
	ch := make(chan result, 1)
	var timeout time.Duration
	if d, ok := ctx.Deadline(); ok {
		if timeout = time.Until(d); timeout <= 0 {
			return nil, context.DeadlineExceeded
		}
	}
	if n.closed() {
		return nil, ErrClosed
	}
	rp, err := n.calFunc(port, msg, func(reply, died []any) { ch <- result{reply, died} }, timeout)
	if err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		if r.reply != nil {
			return r.reply, nil
		}
		return nil, calError(port, r.died, timeout)
	case <-n.ctx.Done():
		return nil, fmt.Errorf("%w while waiting for a reply from %s", ErrClosed, port)
	case <-ctx.Done():
		n.Kil(rp)
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("%w: no reply from %s (%w)", ErrTimeout, port, ctx.Err())
		}
		return nil, ctx.Err()
	}
}

// After sends msg to port after d (Perl's after). Stopping the returned
// Timer before then cancels the send. After Close it does nothing and
// returns a stopped Timer.
func (n *Node) After(d time.Duration, port string, msg ...any) *Timer {
	return n.newTimer(d, func(f func()) { f() }, func() { n.Snd(port, msg...) })
}

// AfterFunc runs f on the dispatch goroutine after d. Stopping the
// returned Timer before f started cancels it. After Close it does nothing
// and returns a stopped Timer.
func (n *Node) AfterFunc(d time.Duration, f func()) *Timer {
	return n.newTimer(d, func(f func()) { n.loop.post(item{fn: f}) }, f)
}
