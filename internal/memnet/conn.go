// Package memnet is an in-memory network for tests: named listeners in a
// registry (Network) and connections that behave like TCP ones where
// aemp-go's connection layer depends on it. Unlike net.Pipe, whose
// writes wait until the peer has read everything (which changes timing
// and deadlocks a node whose two sides both write), a Conn buffers up to
// a bound in each direction, as a socket buffer does: writes return at
// once while there is room and wait (up to the write deadline) when the
// peer does not read, so backpressure and write-stall detection work as
// over TCP.
//
// Semantics, as TCP's: Read returns buffered bytes even after the peer
// closed, then io.EOF; Write after the peer closed fails with EPIPE;
// every call on a closed Conn fails with net.ErrClosed; a deadline that
// passes makes blocked and later calls fail with os.ErrDeadlineExceeded
// (a net.Error whose Timeout is true), a Write returning how much it
// wrote before.
package memnet

import (
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// DefaultBufferSize is the bytes buffered in each direction of a Conn
// when the Network or Pipe is given 0: about a loopback TCP socket's.
const DefaultBufferSize = 256 << 10

// Addr is the address of one end of a Conn or of a Listener.
type Addr string

func (Addr) Network() string  { return "mem" }
func (a Addr) String() string { return string(a) }

// pipe is one direction of a Conn: bytes written by one end, not yet
// read by the other.
type pipe struct {
	mu      sync.Mutex
	data    []byte        // data[off:] is unread; guarded by mu
	off     int           // guarded by mu
	limit   int           // bytes buffered at most
	eof     bool          // the writing end closed: EOF once drained; guarded by mu
	gone    bool          // the reading end closed: writes fail; guarded by mu
	changed chan struct{} // closed and replaced when any of the above changes; guarded by mu
}

func newPipe(limit int) *pipe {
	return &pipe{limit: limit, changed: make(chan struct{})}
}

// notifyLocked wakes everyone waiting for a change of p.
func (p *pipe) notifyLocked() {
	close(p.changed)
	p.changed = make(chan struct{})
}

// Conn is one end of an in-memory connection. It is safe for concurrent
// use; concurrent Writes do not interleave.
type Conn struct {
	rx, tx        *pipe
	local, remote Addr
	rd, wd        *deadline
	wmu           sync.Mutex // held for a whole Write
	closeOnce     sync.Once
	done          chan struct{} // closed by Close
}

// Pipe returns the two ends of a new connection with bufSize bytes of
// buffer in each direction (0: DefaultBufferSize).
func Pipe(bufSize int) (*Conn, *Conn) {
	return newPair(bufSize, "mem-a", "mem-b")
}

func newPair(bufSize int, a, b Addr) (*Conn, *Conn) {
	if bufSize <= 0 {
		bufSize = DefaultBufferSize
	}
	ab, ba := newPipe(bufSize), newPipe(bufSize)
	ca := &Conn{rx: ba, tx: ab, local: a, remote: b, rd: newDeadline(), wd: newDeadline(), done: make(chan struct{})}
	cb := &Conn{rx: ab, tx: ba, local: b, remote: a, rd: newDeadline(), wd: newDeadline(), done: make(chan struct{})}
	return ca, cb
}

func (c *Conn) opError(op string, err error) error {
	return &net.OpError{Op: op, Net: "mem", Source: c.local, Addr: c.remote, Err: err}
}

func (c *Conn) closed() bool { return isClosed(c.done) }

// Read reads what the peer wrote; io.EOF once the peer closed and
// everything was read.
func (c *Conn) Read(b []byte) (int, error) {
	p := c.rx
	for {
		if c.closed() {
			return 0, c.opError("read", net.ErrClosed)
		}
		if c.rd.passed() {
			return 0, c.opError("read", os.ErrDeadlineExceeded)
		}
		p.mu.Lock()
		if n := len(p.data) - p.off; n > 0 || len(b) == 0 {
			n = copy(b, p.data[p.off:])
			p.off += n
			if p.off == len(p.data) {
				p.data, p.off = p.data[:0], 0
			}
			p.notifyLocked() // room for the writer
			p.mu.Unlock()
			return n, nil
		}
		if p.eof {
			p.mu.Unlock()
			return 0, io.EOF
		}
		changed := p.changed
		p.mu.Unlock()
		expired, reset := c.rd.wait()
		select {
		case <-changed:
		case <-expired:
		case <-reset:
		case <-c.done:
		}
	}
}

// Write writes b into the peer's receive buffer, waiting while it is
// full. It returns early only with an error: the deadline passed (n is
// what was written before), the peer closed (EPIPE) or c was closed.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	p := c.tx
	written := 0
	for {
		if c.closed() {
			return written, c.opError("write", net.ErrClosed)
		}
		if c.wd.passed() {
			return written, c.opError("write", os.ErrDeadlineExceeded)
		}
		p.mu.Lock()
		if p.gone {
			p.mu.Unlock()
			return written, c.opError("write", os.NewSyscallError("write", syscall.EPIPE))
		}
		if room := p.limit - (len(p.data) - p.off); room > 0 && written < len(b) {
			k := min(room, len(b)-written)
			if p.off > 0 && len(p.data)+k > cap(p.data) {
				// compact rather than grow: the buffer stays within about limit
				p.data = p.data[:copy(p.data, p.data[p.off:])]
				p.off = 0
			}
			p.data = append(p.data, b[written:written+k]...)
			written += k
			p.notifyLocked() // data for the reader
		}
		if written == len(b) {
			p.mu.Unlock()
			return written, nil
		}
		changed := p.changed
		p.mu.Unlock()
		expired, reset := c.wd.wait()
		select {
		case <-changed:
		case <-expired:
		case <-reset:
		case <-c.done:
		}
	}
}

// Close closes this end: the peer reads what was buffered, then io.EOF;
// its writes fail. Blocked calls on c return net.ErrClosed.
func (c *Conn) Close() error {
	first := false
	c.closeOnce.Do(func() {
		first = true
		close(c.done)
		c.rx.mu.Lock()
		c.rx.gone = true
		c.rx.data, c.rx.off = nil, 0
		c.rx.notifyLocked()
		c.rx.mu.Unlock()
		c.tx.mu.Lock()
		c.tx.eof = true
		c.tx.notifyLocked()
		c.tx.mu.Unlock()
	})
	if !first {
		return c.opError("close", net.ErrClosed)
	}
	return nil
}

func (c *Conn) LocalAddr() net.Addr  { return c.local }
func (c *Conn) RemoteAddr() net.Addr { return c.remote }

func (c *Conn) SetDeadline(t time.Time) error {
	if c.closed() {
		return c.opError("set", net.ErrClosed)
	}
	c.rd.set(t)
	c.wd.set(t)
	return nil
}

func (c *Conn) SetReadDeadline(t time.Time) error {
	if c.closed() {
		return c.opError("set", net.ErrClosed)
	}
	c.rd.set(t)
	return nil
}

func (c *Conn) SetWriteDeadline(t time.Time) error {
	if c.closed() {
		return c.opError("set", net.ErrClosed)
	}
	c.wd.set(t)
	return nil
}
