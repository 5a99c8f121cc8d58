package memnet

import (
	"context"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"syscall"
)

// Network is a registry of in-memory listeners by address: a Dial of an
// address reaches the Listener bound to exactly that address string.
// Addresses look like TCP ones ("127.0.0.1:4040"); port 0 gets a free
// port, and the dialling end of a connection gets an address of its own,
// so that code printing or parsing addresses sees what it expects.
type Network struct {
	bufSize int

	mu        sync.Mutex
	listeners map[string]*Listener // guarded by mu
	nextPort  int                  // guarded by mu
	nextEph   int                  // guarded by mu
}

// Backlog bounds the connections dialled and not yet accepted per
// Listener; further Dials wait (until their context ends), as a full
// TCP backlog makes connects wait.
const Backlog = 128

// NewNetwork returns an empty network whose connections buffer bufSize
// bytes in each direction (0: DefaultBufferSize).
func NewNetwork(bufSize int) *Network {
	return &Network{bufSize: bufSize, listeners: map[string]*Listener{}, nextPort: 1024, nextEph: 49152}
}

// Listen binds addr (host:port; port 0 picks a free one).
func (nw *Network) Listen(addr string) (net.Listener, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, &net.OpError{Op: "listen", Net: "mem", Addr: Addr(addr), Err: err}
	}
	nw.mu.Lock()
	defer nw.mu.Unlock()
	if port == "0" {
		for {
			port = strconv.Itoa(nw.nextPort)
			nw.nextPort++
			if nw.listeners[net.JoinHostPort(host, port)] == nil {
				break
			}
		}
	}
	bound := net.JoinHostPort(host, port)
	if nw.listeners[bound] != nil {
		return nil, &net.OpError{Op: "listen", Net: "mem", Addr: Addr(bound), Err: os.NewSyscallError("bind", syscall.EADDRINUSE)}
	}
	l := &Listener{nw: nw, addr: Addr(bound), backlog: make(chan *Conn, Backlog), done: make(chan struct{})}
	nw.listeners[bound] = l
	return l, nil
}

// Dial connects to the listener bound to addr. With none there it fails
// at once with ECONNREFUSED, as a TCP connect to a closed port does.
func (nw *Network) Dial(ctx context.Context, addr string) (net.Conn, error) {
	nw.mu.Lock()
	l := nw.listeners[addr]
	eph := nw.nextEph
	nw.nextEph++
	nw.mu.Unlock()
	refused := &net.OpError{Op: "dial", Net: "mem", Addr: Addr(addr), Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	if l == nil {
		return nil, refused
	}
	client, server := newPair(nw.bufSize, Addr(fmt.Sprintf("127.0.0.1:%d", eph)), l.addr)
	select {
	case l.backlog <- server:
		if isClosed(l.done) {
			l.drain() // Close may have drained before our send
		}
		return client, nil
	case <-l.done:
		return nil, refused
	case <-ctx.Done():
		return nil, &net.OpError{Op: "dial", Net: "mem", Addr: Addr(addr), Err: ctx.Err()}
	}
}

// Listener accepts the connections dialled to its address.
type Listener struct {
	nw      *Network
	addr    Addr
	backlog chan *Conn
	once    sync.Once
	done    chan struct{}
}

// Accept waits for the next connection; once the listener is closed it
// returns an error matching net.ErrClosed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.backlog:
		return c, nil
	case <-l.done:
		return nil, &net.OpError{Op: "accept", Net: "mem", Addr: l.addr, Err: net.ErrClosed}
	}
}

// Close frees the address, ends waiting Accepts and closes connections
// that were dialled but not accepted (their dialers read io.EOF).
func (l *Listener) Close() error {
	closed := false
	l.once.Do(func() {
		closed = true
		close(l.done)
		l.nw.mu.Lock()
		if l.nw.listeners[string(l.addr)] == l {
			delete(l.nw.listeners, string(l.addr))
		}
		l.nw.mu.Unlock()
		l.drain()
	})
	if !closed {
		return &net.OpError{Op: "close", Net: "mem", Addr: l.addr, Err: net.ErrClosed}
	}
	return nil
}

func (l *Listener) drain() {
	for {
		select {
		case c := <-l.backlog:
			c.Close()
		default:
			return
		}
	}
}

func (l *Listener) Addr() net.Addr { return l.addr }
