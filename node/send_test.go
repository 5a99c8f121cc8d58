package node

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Concurrent senders to one remote node, in bursts and with pauses (so
// sends go out inline on an idle connection as well as through the
// writer goroutine, and the writer is woken again and again): every
// message arrives, and each sender's messages arrive in the order sent.
// A lost wake-up of the writer would leave messages in the buffer and
// time the test out.
func TestConcurrentSendersLoseNothing(t *testing.T) {
	onEachTransport(t, testConcurrentSenders)
}

func testConcurrentSenders(t *testing.T) {
	const senders, perSender = 4, 3000
	a := testNode(t, quietConfig("a"))
	b := testNode(t, quietConfig("b"))
	a.AddAddress("b", b.Binds()...)
	next := make([]int64, senders)
	done := make(chan error, 1)
	var got atomic.Int64
	p := b.NewPort(func(_ *Port, m []any) {
		s, i := m[0].(int64), m[1].(int64)
		if i != next[s] {
			done <- fmt.Errorf("sender %d: message %d arrived when %d was due", s, i, next[s])
			return
		}
		next[s]++
		if got.Add(1) == senders*perSender {
			done <- nil
		}
	})
	var wg sync.WaitGroup
	for s := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perSender {
				if err := a.Snd(p.ID(), int64(s), int64(i), "payload"); err != nil {
					t.Error(err)
					return
				}
				if i%(50+s*37) == 0 {
					time.Sleep(100 * time.Microsecond) // idle: the next send may write inline
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("%d of %d messages arrived", got.Load(), senders*perSender)
	}
}
