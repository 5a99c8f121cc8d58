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

// CalFunc is Perl's cal: it sends msg to port with a temporary reply port
// appended and calls cb with the reply. With a timeout, cb is called with
// nil when none arrived in time; without one (timeout 0) the target port
// is monitored instead and cb gets nil when it dies. cb runs on the
// dispatch goroutine. The reply port's ID is returned.
func (n *Node) CalFunc(port string, msg []any, cb func(reply []any), timeout time.Duration) (string, error) {
	return n.calFunc(port, msg, func(reply, _ []any) { cb(reply) }, timeout)
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
		if len(r.died) == 1 && r.died[0] == "timeout" && timeout > 0 {
			return nil, fmt.Errorf("%w: no reply from %s (%w)", ErrTimeout, port, context.DeadlineExceeded)
		}
		return nil, &PortDiedError{Port: port, Reason: r.died}
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

// After sends msg to port after d (Perl's after).
func (n *Node) After(d time.Duration, port string, msg ...any) {
	time.AfterFunc(d, func() { n.Snd(port, msg...) })
}

// AfterFunc runs f on the dispatch goroutine after d.
func (n *Node) AfterFunc(d time.Duration, f func()) {
	time.AfterFunc(d, func() { n.loop.post(item{fn: f}) })
}
