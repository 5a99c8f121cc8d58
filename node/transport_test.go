package node

import (
	"context"
	"errors"
	"net"
	"reflect"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// testTransports holds the transport of each running test (testing.TB ->
// Transport).
var testTransports sync.Map

// testTransport is the transport of every node a test starts with
// testNode: one in-memory network per test, so that a test's nodes reach
// each other and no one else's, without sockets. Tests about socket
// behaviour call onTCP first; benchmarks measure the TCP connection layer.
func testTransport(tb testing.TB) Transport {
	if tr, ok := testTransports.Load(tb); ok {
		return tr.(Transport)
	}
	if _, bench := tb.(*testing.B); bench {
		return TCPTransport{}
	}
	tr, loaded := testTransports.LoadOrStore(tb, NewMemTransport())
	if !loaded {
		tb.Cleanup(func() { testTransports.Delete(tb) })
	}
	return tr.(Transport)
}

// onTCP makes the test's nodes use TCP on 127.0.0.1: for tests about
// sockets (stalled readers and full TCP windows, accept backoff,
// descriptors, raw clients).
func onTCP(tb testing.TB) {
	testTransports.Store(tb, TCPTransport{})
	tb.Cleanup(func() { testTransports.Delete(tb) })
}

// onEachTransport runs f once on TCP and once on the in-memory
// transport: for the limits whose enforcement depends on the transport
// pushing back (bounded buffers, write deadlines).
func onEachTransport(t *testing.T, f func(t *testing.T)) {
	t.Run("tcp", func(t *testing.T) {
		onTCP(t)
		f(t)
	})
	t.Run("mem", f)
}

// Two nodes on one MemTransport do what two nodes on TCP do: messages,
// a remote monitor, a remote kil with its reason, and the monitor of a
// port on a node that goes away.
func TestTwoNodesOverMemTransport(t *testing.T) {
	mem := NewMemTransport()
	a := testNode(t, Config{NodeID: "a", Binds: []string{"127.0.0.1:0"}, Transport: mem})
	b := testNode(t, Config{NodeID: "b", Binds: []string{"127.0.0.1:0"}, Transport: mem})
	a.AddAddress("b", b.Binds()...)

	got := make(chan []any, 1)
	bp := b.NewPort(func(_ *Port, m []any) { got <- m })
	if err := a.Snd(bp.ID(), "hello", int64(1)); err != nil {
		t.Fatal(err)
	}
	if m := recv(t, got); !reflect.DeepEqual(m, []any{"hello", int64(1)}) {
		t.Fatalf("b received %v", m)
	}

	died := make(chan []any, 1)
	a.MonFunc(bp.ID(), func(r []any) { died <- r })
	a.Kil(bp.ID(), "custom", "reason")
	if r := recv(t, died); !reflect.DeepEqual(r, []any{"custom", "reason"}) {
		t.Fatalf("monitor of the killed remote port: %v", r)
	}

	// the connection ends when b closes: a's monitors get a transport error
	bq := b.NewPort(func(*Port, []any) {})
	lost := make(chan []any, 1)
	a.MonFunc(bq.ID(), func(r []any) { lost <- r })
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Cal(ctx, "b#", "time"); err != nil { // mon1 went out before this
		t.Fatal(err)
	}
	b.Close()
	if r := recv(t, lost); len(r) != 3 || r[0] != "transport_error" || r[1] != "b" {
		t.Fatalf("monitor after b closed: %v", r)
	}
}

// calTwentyTimes makes twenty request/response round trips from a to peer
// (the idle gaps between them make each send try the inline write path)
// and returns a's current connection to peer afterwards.
func calTwentyTimes(t *testing.T, a *Node, peer string) *conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	for i := 0; i < 20; i++ {
		if _, err := a.Cal(ctx, peer+"#", "time"); err != nil {
			t.Fatal(err)
		}
	}
	r := a.lockRemote(peer)
	c := r.tr
	r.mu.Unlock()
	return c
}

// In-memory connections have no file descriptor: senders never write
// inline, the writer goroutine does every write, and request/response
// traffic works as over TCP.
func TestMemConnsWriteThroughWriterGoroutine(t *testing.T) {
	a, _ := pair(t)
	c := calTwentyTimes(t, a, "b")
	if c == nil || c.raw != nil {
		t.Fatalf("connection %v: want one without a raw fd", c)
	}
}

// A dial to an address where nobody listens on the in-memory network is
// refused at once, as on TCP, and reported like a failed TCP connect.
func TestMemTransportRefusesUnknownAddress(t *testing.T) {
	n := newTestNode(t, "n", false)
	_, err := n.Connect(context.Background(), "127.0.0.1:9")
	if err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Connect to nowhere: %v", err)
	}
}

// countingConn is a Transport's own conn type that embeds a *net.TCPConn
// (so it has SyscallConn) and does something in Write.
type countingConn struct {
	*net.TCPConn
	written *atomic.Int64
}

func (c countingConn) Write(b []byte) (int, error) {
	n, err := c.TCPConn.Write(b)
	c.written.Add(int64(n))
	return n, err
}

// countingTransport is TCP whose dialled conns count what goes through
// their Write.
type countingTransport struct {
	TCPTransport
	written atomic.Int64
}

func (t *countingTransport) Dial(ctx context.Context, addr string) (net.Conn, error) {
	c, err := t.TCPTransport.Dial(ctx, addr)
	if err != nil {
		return nil, err
	}
	return countingConn{c.(*net.TCPConn), &t.written}, nil
}

// A conn type of a Transport is written only through its Write, even when
// it reaches the socket's descriptor by embedding: senders write inline
// only to the standard library's sockets.
func TestTransportConnWrittenThroughItsWrite(t *testing.T) {
	onTCP(t)
	ct := &countingTransport{}
	b := newTestNode(t, "b", true)
	a := testNode(t, Config{NodeID: "a", Transport: ct})
	a.AddAddress("b", b.Binds()...)
	c := calTwentyTimes(t, a, "b")
	if c == nil || c.raw != nil {
		t.Fatalf("connection %v: want no inline writes", c)
	}
	if out := peerOf(t, a.Stats(), "b").BytesOut; uint64(ct.written.Load()) < out {
		t.Fatalf("%d bytes went through the conn's Write, %d were sent after the handshake", ct.written.Load(), out)
	}
}
