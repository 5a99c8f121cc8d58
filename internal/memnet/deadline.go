package memnet

import (
	"sync"
	"time"
)

// deadline is one direction's deadline of a Conn. Waiters select on both
// channels of wait: expired is closed once the deadline has passed, reset
// when the deadline was changed, so that a waiter that took the old
// channels looks again (another goroutine may shorten the deadline of a
// blocked Read, as protocol.Handshake does to interrupt it).
type deadline struct {
	mu      sync.Mutex
	timer   *time.Timer   // guarded by mu
	expired chan struct{} // guarded by mu; closed by timer or set
	reset   chan struct{} // guarded by mu; closed and replaced by set
}

func newDeadline() *deadline {
	return &deadline{expired: make(chan struct{}), reset: make(chan struct{})}
}

// set arms the deadline; the zero time disarms it.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.expired // the timer fired: wait until its close happened
	}
	d.timer = nil
	if isClosed(d.expired) {
		d.expired = make(chan struct{})
	}
	close(d.reset)
	d.reset = make(chan struct{})
	if t.IsZero() {
		return
	}
	dur := time.Until(t)
	if dur <= 0 {
		close(d.expired)
		return
	}
	ch := d.expired
	d.timer = time.AfterFunc(dur, func() { close(ch) })
}

// wait returns the channels to select on.
func (d *deadline) wait() (expired, reset <-chan struct{}) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.expired, d.reset
}

// passed reports whether the deadline has passed.
func (d *deadline) passed() bool {
	e, _ := d.wait()
	return isClosed(e)
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
