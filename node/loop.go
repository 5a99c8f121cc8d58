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
	mu    sync.Mutex
	queue []item
	spare []item
	wake  chan struct{}
}

func (l *loop) init() { l.wake = make(chan struct{}, 1) }

func (l *loop) post(it item) {
	l.mu.Lock()
	l.queue = append(l.queue, it)
	first := len(l.queue) == 1
	l.mu.Unlock()
	if first {
		select {
		case l.wake <- struct{}{}:
		default:
		}
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
			batch := l.queue
			l.queue, l.spare = l.spare[:0], nil
			l.mu.Unlock()
			if len(batch) == 0 {
				break
			}
			for i := range batch {
				n.dispatch(&batch[i])
				batch[i] = item{}
			}
			l.mu.Lock()
			l.spare = batch[:0]
			l.mu.Unlock()
			if ctx.Err() != nil {
				return
			}
		}
	}
}
