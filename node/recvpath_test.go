package node

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// pacerRun feeds a readPacer reads of n bytes that waited wait, with or
// without something sent before each, and counts the naps it asked for.
// afterNap gives the size of a read that follows a nap.
func pacerRun(p *readPacer, reads int, n int, wait time.Duration, sent bool, afterNap int) (naps int) {
	for range reads {
		size := n
		if p.wantNap(sent) {
			naps++
			size = afterNap
		}
		p.done(size, wait)
	}
	return naps
}

func TestReadPacer(t *testing.T) {
	const msg = 60 // one small message, as Perl writes it
	for _, tc := range []struct {
		name     string
		n        int
		wait     time.Duration
		sent     bool
		afterNap int
		min, max int // naps in 10000 reads
	}{
		// a hot one-way stream: after napAfter quick small reads, every
		// read naps, since each nap brings several messages at once
		{"hot stream", msg, 5 * time.Microsecond, false, 10 * msg, 9000, 10000},
		// we answer every message: the peer waits for us, never nap
		{"request/response", msg, 5 * time.Microsecond, true, 10 * msg, 0, 0},
		// reads that wait long for data: a slow stream, never nap
		{"slow stream", msg, time.Millisecond, false, 10 * msg, 0, 0},
		// reads that already bring a lot: nothing to gain
		{"big reads", 64 << 10, 0, false, 64 << 10, 0, 0},
		// a nap after which a read brings hotRead or more: reads are
		// big enough, napping restarts only after napAfter small reads
		{"naps bring a lot", msg, 5 * time.Microsecond, false, 64 << 10, 1000, 3000},
		// a chain of requests (a ring of nodes) is quick but a nap brings
		// nothing more: naps back off to one in napAfterMax reads
		{"quick chain", msg, 5 * time.Microsecond, false, msg, 1, 10},
	} {
		p := &readPacer{}
		naps := pacerRun(p, 10000, tc.n, tc.wait, tc.sent, tc.afterNap)
		if naps < tc.min || naps > tc.max {
			t.Errorf("%s: %d naps in 10000 reads, want %d..%d", tc.name, naps, tc.min, tc.max)
		}
	}
}

// A stream that turns hot again after naps stopped paying naps again at
// once after the first nap that pays.
func TestReadPacerRecovers(t *testing.T) {
	p := &readPacer{}
	pacerRun(p, 10000, 60, 5*time.Microsecond, false, 60) // backed off
	if p.need != napAfterMax {
		t.Fatalf("need %d after unproductive naps, want %d", p.need, napAfterMax)
	}
	pacerRun(p, napAfterMax+1, 60, 5*time.Microsecond, false, 600)
	if p.need != napAfter {
		t.Fatalf("need %d after a productive nap, want %d", p.need, napAfter)
	}
	if naps := pacerRun(p, 100, 60, 5*time.Microsecond, false, 600); naps < 90 {
		t.Fatalf("%d naps in 100 reads of a hot stream again", naps)
	}
}

// A peer that writes each message with its own write, as Perl does, gets
// every message delivered in order, the last one too (no nap holds it).
func TestSmallWritesArriveInOrder(t *testing.T) {
	for _, framing := range []string{"json", "cbor"} {
		n := newTestNode(t, "recv", true)
		const count = 20000
		got := make(chan error, 1)
		var next atomic.Int64 // written by the handler only
		p, _ := n.Port("seq")
		p.Rcv("m", func(_ *Port, a []any) {
			if i, _ := a[0].(int64); i != next.Load() {
				got <- fmt.Errorf("message %d arrived as number %d", i, next.Load())
				return
			}
			if next.Add(1) == count {
				got <- nil
			}
		})
		s := rawPeer(t, n, framing)
		enc, _ := protocol.Appender(framing)
		for i := range int64(count) {
			b, err := enc(nil, protocol.Message{Port: "seq", Data: []any{"m", i}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Conn.Write(b); err != nil {
				t.Fatal(err)
			}
		}
		select {
		case err := <-got:
			if err != nil {
				t.Fatalf("%s: %v", framing, err)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: %d of %d messages arrived", framing, next.Load(), count)
		}
	}
}
