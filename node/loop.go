package node

import (
	"context"
	"sync"
)

// item is one unit of work for the dispatch goroutine: a message for a
// local port (port, data, src) or a function (fn).
type item struct {
	port string
	data []any
	src  string
	fn   func()
}

// loop is the node's event loop: an unbounded FIFO drained by one
// goroutine. Unbounded like Perl's, because senders must never block on a
// handler (a handler that sends to its own port would deadlock).
type loop struct {
	mu      sync.Mutex
	queue   []item
	spare   []item
	running bool // some goroutine is running items (the loop's or a reader)
	wake    chan struct{}
}

// maxInline bounds how many queued items a reader runs after its own
// before it hands the rest to the loop goroutine.
const maxInline = 64

func (l *loop) init() { l.wake = make(chan struct{}, 1) }

func (l *loop) post(it item) {
	l.mu.Lock()
	l.queue = append(l.queue, it)
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
func (l *loop) runOrPost(it item, n *Node) {
	l.mu.Lock()
	if l.running || len(l.queue) > 0 {
		l.mu.Unlock()
		l.post(it)
		return
	}
	l.running = true
	l.mu.Unlock()
	n.dispatch(&it)
	for i := 0; i < maxInline; i++ {
		l.mu.Lock()
		if len(l.queue) == 0 {
			l.running = false
			l.mu.Unlock()
			return
		}
		next := l.queue[0]
		l.queue[0] = item{}
		l.queue = l.queue[1:]
		l.mu.Unlock()
		n.dispatch(&next)
	}
	l.mu.Lock()
	l.running = false
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *loop) run(ctx context.Context, n *Node) {
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
			if len(batch) > 0 {
				l.running = true
			}
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := range batch {
				n.dispatch(&batch[i])
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
