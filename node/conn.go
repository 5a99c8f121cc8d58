package node

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

var errConnClosed = errors.New("connection closed")

// conn is one authenticated connection (the data phase of Transport.pm):
// a reader goroutine decodes messages and hands them to the dispatch loop,
// a writer goroutine writes whatever senders encoded into the buffer since
// its last write, so bursts of small messages become few large writes.
//
// Nothing here waits on the peer while holding a lock: senders only
// encode into the buffer under c.mu; the socket is written by the writer
// goroutine (with a write-stall deadline) or, for a single message on an
// idle connection, by the sender itself with one non-blocking write after
// it released every lock (see writeInline).
type conn struct {
	n   *Node
	r   *remote
	s   *protocol.Session
	raw syscall.RawConn // for non-blocking inline writes; nil unless a stdSocket (transport.go)

	lastLife   atomic.Int64 // monotime of the last sign of life: bytes read, or a write the peer's reading let go on
	readerBusy atomic.Bool  // the reader waits for or runs our own loop's items, not the peer's doing
	inqBytes   atomic.Int64 // estimated bytes handed to the loop, not yet dispatched
	inqLen     atomic.Int64 // messages handed to the loop, not yet dispatched
	room       chan struct{}
	hb         atomic.Pointer[time.Timer] // heartbeat (heartbeat.go)
	hbProbe    int64                      // monotime of the unanswered probe; heartbeat timer only

	mu       sync.Mutex
	cond     *sync.Cond        // signalled when a write ended, or on close; guarded by mu
	sealed   [][]byte          // full chunks waiting to be written, in order; guarded by mu
	buf      []byte            // the chunk being filled; guarded by mu
	free     [][]byte          // written chunks for reuse; guarded by mu
	pending  int               // bytes encoded and not yet written; guarded by mu
	writing  bool              // a write is under way (writer goroutine or inline); guarded by mu
	lastSend int64             // monotime of the last send on an idle connection or the writer's last take (see enqueue); guarded by mu
	sends    uint64            // messages encoded so far, for the read pacer (recvpath.go) and MessagesOut; guarded by mu
	counted  uint64            // how many of sends were added to the peer's MessagesOut (countSendsLocked); guarded by mu
	enc      *protocol.Encoder // the send framing's encoder, which remembers the last port and tag; guarded by mu
	closed   bool              // guarded by mu
	woken    bool              // a wake-up is sent and the writer has not yet taken the batch (see wakeLocked); guarded by mu
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
// The total is bounded by Config.MaxSendQueue.
const chunkSize = 64 << 10

// msgsInBatch is how many messages a connection's reader counts before it
// adds them to the peer's MessagesIn, if no read comes first.
const msgsInBatch = 256

// chunkSlack: a chunk with less room than this left is sealed before the
// next message is encoded, so that typical messages never make it grow.
const chunkSlack = 1 << 10

// attach turns a finished handshake into a running connection of the
// node it authenticated as.
func (n *Node) attach(s *protocol.Session) (*conn, error) {
	enc, err := protocol.NewEncoder(s.SendFraming)
	if err != nil {
		s.Conn.Close()
		return nil, err
	}
	c := &conn{n: n, s: s, enc: enc, wake: make(chan struct{}, 1), done: make(chan struct{}),
		room: make(chan struct{}, 1), buf: make([]byte, 0, chunkSize)}
	if inlineWrites {
		c.raw = inlineRawConn(s.Conn) // nil with TLS, in memory, for a Transport's own conn types
	}
	c.cond = sync.NewCond(&c.mu)
	c.lastLife.Store(monotime())
	r := n.lockRemote(s.Remote.NodeID)
	c.r = r
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
	c.startHeartbeat()
	r.stats.connected()
	r.transportConnect(c) // before reading, so the node is up when its first message arrives
	n.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
	return c, nil
}

// sendQueueOverflow is the transport error of a peer whose output passed
// Config.MaxSendQueue.
type sendQueueOverflow struct{ limit int }

func (e sendQueueOverflow) Error() string {
	return fmt.Sprintf("send queue overflow (%s)", byteSize(e.limit))
}

// enqueue encodes m into the output buffer. It does no I/O and may be
// called under r.mu. When the connection was idle it claims the write
// and returns the bytes: the caller must pass them to writeInline once it
// holds no lock. An error means the connection must fail (finish does
// that, also without locks).
func (c *conn) enqueue(m protocol.Message) (inline [][]byte, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, errConnClosed
	}
	// Only a send that finds nothing pending reads the clock (about a
	// tenth of a send's CPU time on a VM): any other send is written by the
	// writer goroutine, whose take of the batch sets lastSend to a time
	// at or after this send. So lastSend is never earlier than the last
	// written send: the inline gap and the heartbeat's quiet time can only
	// come out shorter, never longer, than if every send were timed.
	idle := false
	if !c.writing && len(c.buf) == 0 && len(c.sealed) == 0 {
		now := monotime()
		idle = now-c.lastSend > int64(inlineGap)
		c.lastSend = now
	}
	if cap(c.buf)-len(c.buf) < chunkSlack && len(c.buf) > 0 {
		// seal before the chunk would have to grow (and be copied)
		c.sealed = append(c.sealed, c.buf)
		c.buf = c.newChunkLocked()
	}
	before := len(c.buf)
	b, err := c.encodeTo(c.buf, m)
	if err != nil {
		return nil, err // nothing was added: this message only is refused
	}
	if cap(b) == cap(c.buf) {
		// the same chunk: only its length changes, and reslicing the
		// field itself spares the GC write barrier of storing a pointer
		c.buf = c.buf[:len(b)]
	} else {
		c.buf = b
	}
	c.sends++ // counted in MessagesOut when the batch is taken (countSendsLocked)
	c.pending += len(b) - before
	if c.pending > c.n.cfg.MaxSendQueue {
		return nil, sendQueueOverflow{c.n.cfg.MaxSendQueue}
	}
	if idle && c.raw != nil {
		return c.takeLocked(), nil
	}
	c.wakeLocked()
	return nil, nil
}

// wakeLocked makes sure the writer goroutine will take what is in the
// buffers. Sending on c.wake for each message would cost a channel
// operation per send in a burst; one per batch is enough:
//
// c.woken is set (under c.mu) when a wake-up is sent, and cleared by the
// writer under c.mu in the same hold in which it looks at the buffers and
// takes everything in them (writeLoop). So while c.woken is set, either
// the wake-up waits in c.wake or the writer has received it and has not
// yet reached that hold; either way the writer's next take comes after
// this send's bytes were added (under the same c.mu), and takes them. Once
// the writer has taken the batch, c.woken is clear and the next send wakes
// it again. No wake-up is lost. When the writer clears c.woken it also
// empties c.wake, so a wake-up is not left over for a batch already taken.
func (c *conn) wakeLocked() {
	if c.woken {
		return
	}
	c.woken = true
	select {
	case c.wake <- struct{}{}:
	default: // one is waiting already
	}
}

// encodeTo appends m in the connection's send framing; c.mu is held. A
// direct call, not a function value: through an indirect call the
// compiler would have to assume that the message escapes, and every Snd
// would put its argument list on the heap (see retain).
func (c *conn) encodeTo(dst []byte, m protocol.Message) ([]byte, error) {
	return c.enc.Append(dst, m)
}

// finish completes an enqueue once the caller holds no lock: it writes
// the claimed bytes or fails the connection.
func (c *conn) finish(inline [][]byte, err error) error {
	if err == nil { // the common case, without errors.As's reflection
		if inline != nil {
			c.writeInline(inline)
		}
		return nil
	}
	var over sendQueueOverflow
	switch {
	case errors.As(err, &over):
		c.n.log.Warn("closing connection: peer does not read fast enough", "peer", c.r.id, "limit", byteSize(over.limit))
		c.fail(err)
		return nil // the monitors tell; Snd itself succeeded as far as the caller can act on it
	case errors.Is(err, errConnClosed):
		return nil // lost meanwhile: the transport error reports it
	}
	return err
}

// send is enqueue and finish for callers that hold no lock.
func (c *conn) send(m protocol.Message) error { return c.finish(c.enqueue(m)) }

// writeInline makes one non-blocking write attempt of what enqueue
// claimed; whatever the socket does not take at once goes to the writer
// goroutine. So a sender never waits on the peer.
func (c *conn) writeInline(out [][]byte) {
	var n int
	var werr error
	err := c.raw.Write(func(fd uintptr) bool {
		n, werr = writeFD(fd, out[0]) // enqueue on an idle connection: one chunk
		return true                   // never wait for the socket to become writable
	})
	if n < 0 {
		n = 0
	}
	c.r.stats.wrote(int64(n))
	if err == nil && werr != nil && werr != syscall.EAGAIN && werr != syscall.EINTR {
		err = os.NewSyscallError("write", werr)
	}
	c.mu.Lock()
	c.pending -= n
	rest := out[0][n:]
	if len(rest) > 0 && err == nil {
		// the writer goroutine goes on from here; the chunk is not reused
		c.sealed = append([][]byte{rest}, c.sealed...)
		c.writing = false
		c.cond.Broadcast()
	} else {
		c.doneWritingLocked(out)
	}
	if err == nil && (len(c.buf) > 0 || len(c.sealed) > 0) {
		c.wakeLocked()
	}
	c.mu.Unlock()
	if err != nil {
		c.fail(err)
	}
}

// takeLocked claims everything waiting for one (vectored) write.
func (c *conn) takeLocked() [][]byte {
	c.countSendsLocked()
	c.writing = true
	out := c.sealed
	c.sealed = nil
	if len(c.buf) > 0 {
		out = append(out, c.buf)
		c.buf = c.newChunkLocked()
	}
	return out
}

// countSendsLocked adds the messages encoded since it last ran to the
// peer's MessagesOut. An atomic add per message, after the stores of its
// encoding, cost a sender 5 % of its time (the add waits for them to
// drain); once per batch taken, on close, and before stats are read
// (sendQueueBytes) is enough.
func (c *conn) countSendsLocked() {
	if c.sends != c.counted {
		c.r.stats.msgsOut.Add(c.sends - c.counted)
		c.counted = c.sends
	}
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
		if cap(b) == chunkSize && len(c.free) < 4 && !c.closed {
			c.free = append(c.free, b[:0])
		}
	}
	c.cond.Broadcast()
}

// errWriteStalled is the transport error of a peer that took no bytes
// for Config.WriteStallTimeout.
type errWriteStalled struct{ d time.Duration }

func (e errWriteStalled) Error() string { return fmt.Sprintf("write stalled for %s", e.d) }

// write writes the chunks (with one writev where the connection has it)
// on the writer goroutine. Each attempt has a deadline of
// WriteStallTimeout; an attempt that wrote nothing at all by then ends
// the connection, one that made progress is retried with the rest. It
// returns the bytes of its last attempt, which the caller takes off
// c.pending in the hold of c.mu that ends the write (those of earlier
// attempts are taken off as they end).
func (c *conn) write(out [][]byte) (int, error) {
	stall := c.n.cfg.WriteStallTimeout
	bufs := append(net.Buffers(nil), out...) // WriteTo consumes its slice; out is recycled
	for {
		start := time.Now()
		c.s.Conn.SetWriteDeadline(start.Add(stall))
		n, err := bufs.WriteTo(c.writer())
		c.r.stats.wrote(n)
		if n > 0 && time.Since(start) >= writeWaitIsLife {
			c.lastLife.Store(monotime())
		}
		if err == nil { // all written
			return int(n), nil
		}
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return int(n), err
		}
		if n == 0 {
			return 0, errWriteStalled{stall}
		}
		c.mu.Lock()
		c.pending -= int(n)
		c.mu.Unlock()
	}
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
		// Each hold of c.mu that takes a batch takes everything there is
		// and clears c.woken (see wakeLocked). What was sent during a
		// write is taken in the same hold that ends it: one lock per batch
		// while a burst lasts, not three, on a lock the senders hold most
		// of the time.
		for (len(c.buf) > 0 || len(c.sealed) > 0) && !c.closed {
			if c.woken {
				c.woken = false
				select {
				case <-c.wake: // sent for what is taken now
				default:
				}
			}
			out := c.takeLocked()
			c.lastSend = monotime() // see enqueue
			c.mu.Unlock()
			n, err := c.write(out)
			c.mu.Lock()
			c.pending -= n
			c.doneWritingLocked(out)
			if err != nil {
				c.mu.Unlock()
				c.fail(err)
				return
			}
		}
		c.woken = false // nothing to take (a spare wake-up)
		c.mu.Unlock()
	}
}

// recvClock is the one place that sees every read from the peer: the
// bytes count as a sign of life for the heartbeat and go to the peer's
// bytes-in counter.
type recvClock struct {
	c *conn
	r io.Reader
}

func (rc recvClock) Read(p []byte) (int, error) {
	n, err := rc.r.Read(p)
	if n > 0 {
		rc.c.lastLife.Store(monotime())
		rc.c.r.stats.bytesIn.Add(uint64(n))
	}
	return n, err
}

// newConnDecoder makes the decoder of a connection's data phase, bounded
// by Config.MaxMessageSize.
func newConnDecoder(framing string, r io.Reader, maxMessage int) (protocol.Decoder, error) {
	return protocol.NewStreamDecoder(framing, r, protocol.DecodeLimits{MaxMessageBytes: maxMessage})
}

// oversizeError explains a message over Config.MaxMessageSize to the
// operator; its text becomes the transport error's reason.
func oversizeError(err error, limit int) error {
	return fmt.Errorf("%v (limit %s: Config.MaxMessageSize, rc-file key max_message_size)", err, byteSize(limit))
}

func (c *conn) readLoop() {
	defer c.n.wg.Done()
	dec, err := newConnDecoder(c.s.RecvFraming, recvClock{c, c.recvReader()}, c.n.cfg.MaxMessageSize)
	if err != nil {
		c.fail(err)
		return
	}
	src := c.r.id
	trace := c.n.cfg.Trace != nil
	held := false // this reader holds the loop (loop.go runOrPost)
	defer func() {
		if held {
			c.n.loop.release(c, c.n)
		}
	}()
	var m protocol.Message // reused: the decoder writes each message into it
	it := item{src: src}   // reused for each message (port and data change)
	unreported := 0        // messages decoded and not yet added to the peer's MessagesIn
	defer c.r.stats.msgsRead(&unreported)
	for {
		var ok bool
		if held {
			// only a message already read may run while we hold the
			// loop; before a read, which may wait, we give it back
			if ok, err = dec.DecodeBufferedInto(&m); !ok {
				c.n.loop.release(c, c.n)
				held = false
			}
		}
		if !ok {
			c.r.stats.msgsRead(&unreported)
			m, it.port, it.data = protocol.Message{}, "", nil // an idle connection pins no message
			err = dec.DecodeInto(&m)
		}
		if err != nil {
			if held { // what fail sets off runs on the loop, not under our hold
				c.n.loop.release(c, c.n)
				held = false
			}
			switch {
			case errors.Is(err, protocol.ErrMessageTooLarge):
				err = oversizeError(err, c.n.cfg.MaxMessageSize)
				c.n.log.Error("closing connection: peer sent a message over the size limit", "peer", src, "err", err)
			case errors.Is(err, protocol.ErrBadFrame):
				c.n.log.Error("closing connection: peer sent a malformed message", "peer", src, "err", err)
			}
			c.fail(err)
			return
		}
		if unreported++; unreported == msgsInBatch {
			c.r.stats.msgsRead(&unreported)
		}
		if trace {
			c.n.trace("RCV %s -> %s", src, traceJSON(m.Port, m.Data, false))
		}
		if m.Port == heartbeatPort {
			continue // the answer to our probe: its arrival was all that counted
		}
		// it is filled field by field: a composite literal was built
		// and then copied, and the copy's wide loads of the narrower
		// stores just made cannot be forwarded (5 % of a receiver)
		it.port, it.data = m.Port, m.Data
		if held {
			held = c.n.loop.runHeld(&it, c, c.n)
			continue
		}
		var queued bool
		if queued, held = c.n.loop.runOrPost(it, c, c.n); !queued {
			continue
		}
		c.r.stats.msgsRead(&unreported) // before the reader may wait for room
		if !c.awaitRoom() {
			return
		}
	}
}

// fail closes the connection; if it was the node's current one, the node
// gets a transport error with a message saying why. It takes c.mu and
// r.mu in turn, so it must be called without locks.
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
	} else {
		c.r.prune()
	}
}

// close closes the socket once and drops the buffers; it reports whether
// this call closed it.
func (c *conn) close() bool {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return false
	}
	c.closed = true
	c.countSendsLocked() // what was encoded counts, written or not
	c.sealed, c.buf, c.free, c.pending = nil, nil, nil, 0
	c.cond.Broadcast()
	c.mu.Unlock()
	close(c.done)
	if t := c.hb.Load(); t != nil {
		t.Stop()
	}
	if tc, ok := c.s.Conn.(*tls.Conn); ok {
		// tls.Conn.Close would first try to send close_notify, which
		// waits (up to 5 s) on a peer that does not read.
		tc.NetConn().Close()
	} else {
		c.s.Conn.Close()
	}
	c.r.mu.Lock()
	for i, e := range c.r.all {
		if e == c {
			last := len(c.r.all) - 1
			copy(c.r.all[i:], c.r.all[i+1:])
			c.r.all[last] = nil // no reference to the dead conn stays in the backing array
			c.r.all = c.r.all[:last]
			break
		}
	}
	c.r.mu.Unlock()
	return true
}

func (c *conn) isClosed() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
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
