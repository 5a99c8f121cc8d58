package node

import (
	"errors"
	"io"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

var errConnClosed = errors.New("connection closed")

// conn is one authenticated connection (the data phase of Transport.pm):
// a reader goroutine decodes messages and hands them to the dispatch loop,
// a writer goroutine writes whatever senders encoded into the buffer since
// its last write, so bursts of small messages become few large writes.
type conn struct {
	n      *Node
	r      *remote
	s      *protocol.Session
	encode func([]byte, protocol.Message) ([]byte, error)

	mu       sync.Mutex
	cond     *sync.Cond // signalled when a write ended, or on close
	sealed   [][]byte   // full chunks waiting to be written, in order
	buf      []byte     // the chunk being filled
	free     [][]byte   // written chunks for reuse
	writing  bool       // a Write is under way (writer goroutine or inline)
	lastSend int64      // monotonic ns of the last send, for the inline-write choice
	closed   bool
	wake     chan struct{}
	done     chan struct{}
}

// inlineGap: a send that finds the connection idle for longer than this
// writes to the socket itself instead of waking the writer goroutine. A
// request/response exchange then saves a goroutine hand-off per message
// (round trips are a third faster on loopback), while a burst of sends,
// which come closer together, still goes out in large batched writes.
const inlineGap = 20 * time.Microsecond

// chunkSize is the size of output buffer chunks. Output waits in a list of
// chunks rather than one growing slice, so a burst costs no re-copying.
// Like Perl's, the output queue is not bounded and Snd never blocks: a
// node that sends faster than a peer reads holds the difference in memory.
const chunkSize = 64 << 10

// chunkSlack: a chunk with less room than this left is sealed before the
// next message is encoded, so that typical messages never make it grow.
const chunkSlack = 1 << 10

// attach turns a finished handshake into a running connection of the
// node it authenticated as.
func (n *Node) attach(s *protocol.Session) (*conn, error) {
	enc, _ := protocol.Appender(s.SendFraming) // negotiated from our own list
	r := n.remote(s.Remote.NodeID)
	c := &conn{n: n, r: r, s: s, encode: enc, wake: make(chan struct{}, 1), done: make(chan struct{}),
		buf: make([]byte, 0, chunkSize)}
	c.cond = sync.NewCond(&c.mu)
	r.mu.Lock()
	if n.closed() {
		// Close has begun: it may already have shut this remote's
		// connections down, so this one must not start.
		r.mu.Unlock()
		s.Conn.Close()
		return nil, ErrClosed
	}
	r.all = append(r.all, c)
	r.mu.Unlock()
	n.log.Debug("connected", "peer", r.id, "addr", s.Conn.RemoteAddr().String(),
		"send", s.SendFraming, "recv", s.RecvFraming, "tls", s.TLS)
	r.transportConnect(c) // before reading, so the node is up when its first message arrives
	n.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// send encodes m into the output buffer.
func (c *conn) send(m protocol.Message) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errConnClosed
	}
	now := monotime()
	idle := !c.writing && len(c.buf) == 0 && len(c.sealed) == 0 && now-c.lastSend > int64(inlineGap)
	c.lastSend = now
	if cap(c.buf)-len(c.buf) < chunkSlack && len(c.buf) > 0 {
		// seal before the chunk would have to grow (and be copied)
		c.sealed = append(c.sealed, c.buf)
		c.buf = c.newChunkLocked()
	}
	b, err := c.encode(c.buf, m)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.buf = b
	if idle {
		out := c.takeLocked()
		c.mu.Unlock()
		err := c.write(out)
		c.mu.Lock()
		c.doneWritingLocked(out)
		pending := len(c.buf) > 0 || len(c.sealed) > 0
		c.mu.Unlock()
		if err != nil {
			go c.fail(err) // the caller may hold the remote's lock, which fail takes
			return nil
		}
		if !pending {
			return nil
		}
	} else {
		c.mu.Unlock()
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

// takeLocked claims everything waiting for one (vectored) write.
func (c *conn) takeLocked() [][]byte {
	c.writing = true
	out := c.sealed
	c.sealed = nil
	if len(c.buf) > 0 {
		out = append(out, c.buf)
		c.buf = c.newChunkLocked()
	}
	return out
}

func (c *conn) newChunkLocked() []byte {
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		return b
	}
	return make([]byte, 0, chunkSize)
}

func (c *conn) doneWritingLocked(out [][]byte) {
	c.writing = false
	for _, b := range out {
		if cap(b) <= 2*chunkSize && len(c.free) < 4 {
			c.free = append(c.free, b[:0])
		}
	}
	c.cond.Broadcast()
}

// write writes the chunks with one writev where the connection has it.
func (c *conn) write(out [][]byte) error {
	if len(out) == 1 {
		_, err := c.s.Conn.Write(out[0])
		return err
	}
	bufs := append(net.Buffers(nil), out...) // WriteTo consumes its slice; out is recycled
	_, err := bufs.WriteTo(c.s.Conn)
	return err
}

var monoStart = time.Now()

func monotime() int64 { return int64(time.Since(monoStart)) }

func (c *conn) writeLoop() {
	defer c.n.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		for c.writing && !c.closed { // an inline write goes first: keep the order
			c.cond.Wait()
		}
		if (len(c.buf) == 0 && len(c.sealed) == 0) || c.closed {
			c.mu.Unlock()
			continue
		}
		out := c.takeLocked()
		c.mu.Unlock()
		err := c.write(out)
		c.mu.Lock()
		c.doneWritingLocked(out)
		c.mu.Unlock()
		if err != nil {
			c.fail(err)
			return
		}
	}
}

func (c *conn) readLoop() {
	defer c.n.wg.Done()
	dec, err := protocol.NewDecoder(c.s.RecvFraming, c.recvReader())
	if err != nil {
		c.fail(err)
		return
	}
	src := c.r.id
	for {
		m, err := dec.Decode()
		if err != nil {
			if errors.Is(err, protocol.ErrBadFrame) {
				c.n.log.Error("closing connection: peer sent a malformed message", "peer", src, "err", err)
			}
			c.fail(err)
			return
		}
		if c.n.cfg.Trace != nil {
			c.n.trace("RCV %s -> %s", src, traceJSON(m.Port, m.Data, false))
		}
		c.n.loop.runOrPost(item{port: m.Port, data: m.Data, src: src}, c.n)
	}
}

// fail closes the connection; if it was the node's current one, the node
// gets a transport error with a message saying why.
func (c *conn) fail(err error) {
	if !c.close() {
		return
	}
	msg := perlReason(err)
	c.r.mu.Lock()
	current := c.r.tr == c
	c.r.mu.Unlock()
	if current && !c.n.closed() {
		c.r.transportError("transport_error", c.r.id, msg)
	}
}

// close closes the socket once; it reports whether this call closed it.
func (c *conn) close() bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	c.cond.Broadcast()
	c.mu.Unlock()
	close(c.done)
	c.s.Conn.Close()
	c.r.mu.Lock()
	for i, e := range c.r.all {
		if e == c {
			c.r.all = append(c.r.all[:i:i], c.r.all[i+1:]...)
			break
		}
	}
	c.r.mu.Unlock()
	return true
}

// perlReason words a connection error as Perl's AnyEvent::Handle does
// (its message becomes the third element of ["transport_error", node,
// msg]), so that code matching on Perl's texts sees the same words.
func perlReason(err error) string {
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "Unexpected end-of-file"
	case errors.Is(err, syscall.ECONNRESET):
		return "Connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return "Broken pipe"
	case errors.Is(err, syscall.ETIMEDOUT):
		return "Connection timed out"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	return err.Error()
}
