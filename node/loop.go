package node

import (
	"context"
	"sync"
	"sync/atomic"
)

// item is one unit of work for the dispatch goroutine: a message for a
// local port (port, data, src) or a function (fn).
type item struct {
	port string
	data []any
	src  string
	fn   func()
	from *conn // the connection whose reader queued it, for its receive bound
	size int64 // its estimated size, counted against from's bound
}

// loop is the node's event loop: a FIFO drained by one goroutine. Posting
// never blocks, because senders must never block on a handler (a handler
// that sends to its own port would deadlock). What connection readers
// queue is bounded per connection instead (Config.MaxRecvQueue and
// MaxRecvQueueLen, see recvqueue.go): a reader past its bound stops
// reading, so a flooding peer is pushed back by TCP, as a Perl node
// pushes back by not reading while a handler runs.
type loop struct {
	mu      sync.Mutex
	queue   []item
	spare   []item
	running bool // some goroutine is running items (the loop's or a reader)
	stopped bool // the node closed: posts are dropped, nothing would run them
	wake    chan struct{}
	// queued is set (under mu) when an item is queued and cleared (under
	// mu) when the queue is found empty, so that a reader holding the
	// loop learns without taking mu whether others queued items since
	// (see runHeld). It may lag behind a post in progress: release checks
	// the queue under mu.
	queued atomic.Bool
}

// maxInline bounds how many queued items a reader runs after its own
// before it hands the rest to the loop goroutine.
const maxInline = 64

func (l *loop) init() { l.wake = make(chan struct{}, 1) }

func (l *loop) post(it item) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return
	}
	l.queue = append(l.queue, it)
	l.queued.Store(true)
	first := len(l.queue) == 1 && !l.running
	l.mu.Unlock()
	if first {
		select {
		case l.wake <- struct{}{}:
		default:
		}
	}
}

// runOrPost is post for connection readers: when no goroutine is running
// items and none are queued, the reader runs the item itself, which
// spares two goroutine hand-offs per message (about 10 us each on small
// virtual machines), and then runs what its item queued, up to maxInline
// items. Order and mutual exclusion are those of the loop: one goroutine
// at a time runs items, in queue order.
//
// queued reports that the item was queued instead, in which case it
// counts against from's receive bound until it is dispatched. held
// reports that the reader still holds the loop (running is set for it):
// it may run its next message with runHeld, as long as that message is
// already read, and must release the loop before it waits for anything.
// So the messages of one read cost one claim and one release of the loop
// between them, not one each, while items others queue meanwhile still
// run after the reader's current item, as they would without holding.
func (l *loop) runOrPost(it item, from *conn, n *Node) (queued, held bool) {
	l.mu.Lock()
	if l.running || len(l.queue) > 0 {
		l.mu.Unlock()
		from.queued(&it)
		l.post(it)
		return true, false
	}
	l.running = true
	l.mu.Unlock()
	if from != nil {
		// the reader works for the loop now: its peer's silence meanwhile
		// is not the peer's doing (heartbeat.go)
		from.readerBusy.Store(true)
	}
	return false, l.runHeld(&it, from, n)
}

// runHeld runs a reader's item while the reader holds the loop, then
// whatever others queued meanwhile. It reports whether the reader still
// holds the loop: after maxInline queued items it hands the rest to the
// loop goroutine.
func (l *loop) runHeld(it *item, from *conn, n *Node) bool {
	n.dispatch(it)
	if !l.queued.Load() {
		return true
	}
	return l.drain(from, n, true)
}

// release gives back the loop a reader holds, first running what was
// queued meanwhile (up to maxInline items, as runHeld).
func (l *loop) release(from *conn, n *Node) { l.drain(from, n, false) }

// drain runs queued items on a reader that holds the loop until the queue
// is empty; then the reader keeps the loop if keep is set. After
// maxInline items it gives the loop to the loop goroutine. It reports
// whether the reader still holds the loop.
func (l *loop) drain(from *conn, n *Node, keep bool) bool {
	for i := 0; ; i++ {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.queued.Store(false)
			l.running = keep
			l.mu.Unlock()
			if !keep && from != nil {
				from.readerBusy.Store(false)
			}
			return keep
		}
		if i == maxInline {
			l.running = false
			l.mu.Unlock()
			if from != nil {
				from.readerBusy.Store(false)
			}
			select {
			case l.wake <- struct{}{}:
			default:
			}
			return false
		}
		next := l.queue[0]
		l.queue[0] = item{}
		l.queue = l.queue[1:]
		l.mu.Unlock()
		l.dispatch(n, &next)
	}
}

func (l *loop) run(ctx context.Context, n *Node) {
	defer func() {
		l.mu.Lock()
		l.stopped = true
		l.queue, l.spare = nil, nil
		l.mu.Unlock()
	}()
	for {
		select {
		case <-l.wake:
		case <-ctx.Done():
			return
		}
		for {
			l.mu.Lock()
			if l.running { // a reader is running items; it wakes us when it stops
				l.mu.Unlock()
				break
			}
			batch := l.queue
			l.queue, l.spare = l.spare[:0], nil
			l.queued.Store(false)
			if len(batch) > 0 {
				l.running = true
			}
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := range batch {
				l.dispatch(n, &batch[i])
				batch[i] = item{}
			}
			l.mu.Lock()
			l.running = false
			l.spare = batch[:0]
			l.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
		}
	}
}

// dispatch runs a queued item and releases what it counted against its
// connection's receive bound.
func (l *loop) dispatch(n *Node, it *item) {
	n.dispatch(it)
	if it.from != nil {
		it.from.dispatched(it.size)
	}
}
