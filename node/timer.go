package node

import (
	"sync/atomic"
	"time"
)

// Timer is a pending After or AfterFunc (Perl returns a guard for the
// same purpose). Its zero value is not useful; the node hands out
// *Timer.
type Timer struct {
	t    *time.Timer
	done atomic.Bool // set once by whichever of the callback and Stop comes first
}

// Stop cancels the timer. It reports whether it did: false when the
// message was already sent or the function already started (or the timer
// was already stopped, or made after Close).
func (t *Timer) Stop() bool {
	if !t.done.CompareAndSwap(false, true) {
		return false
	}
	if t.t != nil {
		t.t.Stop()
	}
	return true
}

// newTimer runs f after d through run (which may hand f to the dispatch
// goroutine), unless Stop comes first. The done flag is checked where f
// runs, so a Stop after the time.Timer fired but before a posted f ran
// still cancels it.
func (n *Node) newTimer(d time.Duration, run func(func()), f func()) *Timer {
	t := &Timer{}
	if n.closed() {
		t.done.Store(true)
		return t
	}
	t.t = time.AfterFunc(d, func() {
		run(func() {
			if t.done.CompareAndSwap(false, true) {
				f()
			}
		})
	})
	return t
}
