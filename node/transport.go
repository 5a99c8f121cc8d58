package node

import (
	"context"
	"io"
	"net"
	"syscall"

	"github.com/aemp-go/aemp-go/internal/memnet"
)

// Transport is how a node reaches the network: it listens on its binds
// and dials other nodes' addresses. The handshake, the connection layer
// and everything above run unchanged over any net.Conn a Transport
// returns (hashicorp/memberlist's Transport is the model).
//
// The node bounds a Dial by Config.MonitorTimeout through ctx, and uses
// write deadlines on the connections to detect peers that stop reading
// (Config.WriteStallTimeout), so a Transport's conns must honour ctx and
// SetWriteDeadline. Listener.Accept must return an error matching
// net.ErrClosed once the listener is closed.
type Transport interface {
	Listen(addr string) (net.Listener, error)
	Dial(ctx context.Context, addr string) (net.Conn, error)
}

// TCPTransport is the default Transport: TCP, with the standard
// library's defaults for AEMP connections (TCP keepalive on, Nagle off).
type TCPTransport struct{}

// Listen listens on the TCP address addr.
func (TCPTransport) Listen(addr string) (net.Listener, error) { return net.Listen("tcp", addr) }

// Dial connects to the TCP address addr.
func (TCPTransport) Dial(ctx context.Context, addr string) (net.Conn, error) {
	var d net.Dialer // keepalive is on by default, nodelay too
	return d.DialContext(ctx, "tcp", addr)
}

// MemTransport is an in-memory network for tests: nodes that share one
// MemTransport reach each other by the addresses their binds got, with no
// sockets. Binds look like TCP ones ("127.0.0.1:0" picks a free port);
// a Dial reaches the listener bound to exactly that address.
//
// Its connections behave like TCP ones where a node depends on it: each
// direction buffers a bounded number of bytes (so a peer that stops
// reading pushes back on its writer, and write deadlines end a stalled
// write), a closed peer reads as end-of-file, and a dial to an address
// nobody listens on is refused. Senders never write inline (there is no
// file descriptor): the connection's writer goroutine does every write.
type MemTransport struct{ nw *memnet.Network }

// NewMemTransport returns an empty in-memory network whose connections
// buffer memnet.DefaultBufferSize (256 KiB) in each direction.
func NewMemTransport() *MemTransport { return &MemTransport{nw: memnet.NewNetwork(0)} }

// Listen binds addr on the in-memory network.
func (t *MemTransport) Listen(addr string) (net.Listener, error) { return t.nw.Listen(addr) }

// Dial connects to the listener bound to addr.
func (t *MemTransport) Dial(ctx context.Context, addr string) (net.Conn, error) {
	return t.nw.Dial(ctx, addr)
}

// stdSocket tells the standard library's own sockets, whose Write is a
// plain write(2), from every other conn: TLS, in memory, or a Transport's
// type that embeds a *net.TCPConn (and so has its SyscallConn and writev)
// but changes what Write does. Only a stdSocket is written past its
// Write: inline by senders, with writev by the writer goroutine.
func stdSocket(nc net.Conn) (syscall.Conn, bool) {
	switch c := nc.(type) {
	case *net.TCPConn:
		return c, true
	case *net.UnixConn:
		return c, true
	}
	return nil, false
}

// inlineRawConn returns the descriptor senders may write themselves
// (conn.writeInline), or nil.
func inlineRawConn(nc net.Conn) syscall.RawConn {
	sc, ok := stdSocket(nc)
	if !ok {
		return nil
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	return raw
}

// writer is what the writer goroutine writes to: a stdSocket itself (with
// writev), any other conn only through its Write (net.Buffers would find
// the writev of an embedded *net.TCPConn and pass that Write by).
func (c *conn) writer() io.Writer {
	if _, ok := stdSocket(c.s.Conn); ok {
		return c.s.Conn
	}
	return struct{ io.Writer }{c.s.Conn}
}
