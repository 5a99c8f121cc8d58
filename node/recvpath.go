package node

import (
	"io"
	"runtime"
	"time"
)

// Adaptive read coalescing (issue 10, "per-packet receive cost").
//
// Perl's AnyEvent::Handle writes each message with its own write(2) as
// long as the socket takes it, so a busy Perl sender delivers one small
// segment per message. A Go reader that keeps up wakes up for every one:
// read, EAGAIN, park in the netpoller, epoll, wake-up, read again, often
// with a futex wake of a second thread: about 3x Perl's syscalls and
// context switches per message, which is most of the receive CPU time.
//
// pacedReader sits between the socket and the decoder's buffer. When a
// connection's reads keep returning little (a few small messages) and keep
// finding data within hotWait, and this node sent nothing on the
// connection since the previous read (so nobody waits for our answer), it
// sleeps recvNap before the next read, so that one read and one wake-up
// take several messages. Napping goes on while each nap at least doubles
// what a read brings and reads stay small; a nap that does not pay makes
// the next one rarer (backoff), so request chains and slow streams are
// left alone. A request/response exchange on the connection never naps.
// The nap is the only latency added, and only to hot one-way streams.
//
// Reads between naps still park in the netpoller now and then (after a
// read of hotRead or more, napping restarts after napAfter small reads).
// That is on purpose: a variant that kept napping through big reads, so
// that the reader never parked, measured 5x more epoll calls per message
// (likely the runtime polling the netpoller itself when no thread blocks
// in it), more than the wake-ups it saved.

const (
	// recvNap is how long a reader sleeps before reading a hot stream:
	// the most a message waits for its read.
	recvNap = 100 * time.Microsecond
	// hotRead: a read returning fewer bytes than this counts as small.
	hotRead = 2048
	// hotWait: a read that found data within this time counts as quick.
	hotWait = 50 * time.Microsecond
	// napAfter is how many small quick reads in a row start napping;
	// unproductive naps multiply it by 4, up to napAfterMax.
	napAfter    = 4
	napAfterMax = 4096
)

// readPacer is the decision, separate from the I/O so it can be tested.
type readPacer struct {
	hot    int // consecutive small, quick reads
	need   int // hot reads before the next nap
	base   int // bytes of the last read not preceded by a nap
	napped bool
}

// wantNap reports whether to nap before the next read; sent tells that
// the node wrote to the connection since the previous read.
func (p *readPacer) wantNap(sent bool) bool {
	if p.need == 0 {
		p.need = napAfter
	}
	p.napped = !sent && p.hot >= p.need
	return p.napped
}

// done records a read of n bytes that waited wait for data.
func (p *readPacer) done(n int, wait time.Duration) {
	if p.napped {
		if n >= 2*p.base {
			p.need = napAfter // it paid
		} else {
			p.need = min(p.need*4, napAfterMax)
			p.hot = 0
		}
	} else {
		p.base = n
	}
	if n > 0 && n < hotRead && wait < hotWait {
		p.hot++
	} else {
		p.hot = 0
	}
}

// pacedReader reads c's data-phase stream with naps (see above).
type pacedReader struct {
	c     *conn
	r     io.Reader
	p     readPacer
	sends uint64 // c's send count at the end of the previous read
}

func (r *pacedReader) Read(b []byte) (int, error) {
	if r.p.wantNap(r.c.sendCount() != r.sends) {
		nap(recvNap)
	}
	start := monotime()
	n, err := r.r.Read(b)
	end := monotime()
	r.sends = r.c.sendCount()
	r.p.done(n, time.Duration(end-start))
	return n, err
}

// recvReader returns what the decoder reads: the session's stream, paced
// where naps are precise enough and the process has more than one CPU. On
// one CPU the sender runs only while the reader does not, so reads batch
// by themselves, and a nap only adds a timer wake-up: measured with both
// ends pinned to one CPU, pacing cost 2.5x the context switches and up
// to a quarter of the throughput.
func (c *conn) recvReader() io.Reader {
	if !napPrecise || runtime.NumCPU() < 2 {
		return c.s.Reader
	}
	return &pacedReader{c: c, r: c.s.Reader}
}

// sendCount is how many messages were queued on c so far.
func (c *conn) sendCount() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sends
}
