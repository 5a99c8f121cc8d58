package node

import (
	"slices"
	"sync"
	"testing"
)

// TestReaderHoldingTheLoopKeepsItsOrder: a reader that holds the loop
// across the messages of one read (runOrPost, runHeld, release) runs
// what a handler queued before its own next message, while nothing else
// runs items, and hands leftovers over on release.
func TestReaderHoldingTheLoopKeepsItsOrder(t *testing.T) {
	n := newTestNode(t, "n", false) // only for dispatch
	// a loop of its own, which no loop goroutine runs and nothing else
	// posts to (the node's own loop gets timers and seeding at any time)
	l := &loop{}
	l.init()
	var mu sync.Mutex
	var order []string
	note := func(s string) func() {
		return func() { mu.Lock(); order = append(order, s); mu.Unlock() }
	}
	queued, held := l.runOrPost(item{fn: func() {
		note("m1")()
		l.post(item{fn: note("queued by m1")}) // a handler's local send
	}}, nil, n)
	if queued || !held {
		t.Fatalf("idle loop: queued %v, held %v; want the reader to run m1 and hold the loop", queued, held)
	}
	// meanwhile another goroutine posts: held, the loop goroutine must not
	// run it, the reader does after its next message
	done := make(chan struct{})
	go func() { l.post(item{fn: note("posted")}); close(done) }()
	<-done
	if !l.runHeld(&item{fn: note("m2")}, nil, n) {
		t.Fatal("the reader lost the loop with only two items queued")
	}
	l.post(item{fn: note("posted before release")})
	l.release(nil, n)
	want := []string{"m1", "queued by m1", "m2", "posted", "posted before release"}
	mu.Lock()
	got := slices.Clone(order)
	mu.Unlock()
	// "queued by m1" was queued before the reader's next message ran, so
	// it ran first; "posted" raced with m2 and may run on either side
	if !slices.Equal(got, want) && !slices.Equal(got, []string{"m1", "queued by m1", "posted", "m2", "posted before release"}) {
		t.Fatalf("order %q, want %q", got, want)
	}
	l.mu.Lock()
	running, left := l.running, len(l.queue)
	l.mu.Unlock()
	if running || left != 0 {
		t.Fatalf("after release: running %v, %d queued", running, left)
	}
}
