package node

import (
	"errors"
	"io"
	"net"
	"sync"

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

	mu     sync.Mutex
	buf    []byte
	spare  []byte
	closed bool
	wake   chan struct{}
	done   chan struct{}
}

// attach turns a finished handshake into a running connection of the
// node it authenticated as.
func (n *Node) attach(s *protocol.Session) *conn {
	enc, _ := protocol.Appender(s.SendFraming) // negotiated from our own list
	r := n.remote(s.Remote.NodeID)
	c := &conn{n: n, r: r, s: s, encode: enc, wake: make(chan struct{}, 1), done: make(chan struct{})}
	r.mu.Lock()
	r.all = append(r.all, c)
	r.mu.Unlock()
	n.log.Debug("connected", "peer", r.id, "addr", s.Conn.RemoteAddr().String(),
		"send", s.SendFraming, "recv", s.RecvFraming, "tls", s.TLS)
	r.transportConnect(c) // before reading, so the node is up when its first message arrives
	n.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c
}

// send encodes m into the output buffer.
func (c *conn) send(m protocol.Message) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return errConnClosed
	}
	b, err := c.encode(c.buf, m)
	if err != nil {
		c.mu.Unlock()
		return err
	}
	c.buf = b
	c.mu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return nil
}

func (c *conn) writeLoop() {
	defer c.n.wg.Done()
	for {
		select {
		case <-c.wake:
		case <-c.done:
			return
		}
		c.mu.Lock()
		out := c.buf
		c.buf, c.spare = c.spare, nil
		c.mu.Unlock()
		if len(out) == 0 {
			continue
		}
		if _, err := c.s.Conn.Write(out); err != nil {
			c.fail(err)
			return
		}
		c.mu.Lock()
		c.spare = out[:0]
		c.mu.Unlock()
	}
}

func (c *conn) readLoop() {
	defer c.n.wg.Done()
	dec, err := protocol.NewDecoder(c.s.RecvFraming, c.s.Reader)
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
		c.n.loop.post(item{port: m.Port, data: m.Data, src: src})
	}
}

// fail closes the connection; if it was the node's current one, the node
// gets a transport error with a message saying why.
func (c *conn) fail(err error) {
	if !c.close() {
		return
	}
	msg := err.Error()
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		msg = "connection closed by peer"
	case errors.Is(err, net.ErrClosed):
		msg = "connection closed"
	}
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
