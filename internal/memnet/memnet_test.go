package memnet

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"
)

// dialPair returns both ends of one connection made through nw.
func dialPair(t testing.TB, nw *Network) (client, server net.Conn, stop func(), err error) {
	l, err := nw.Listen("127.0.0.1:0")
	if err != nil {
		return nil, nil, nil, err
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, _ := l.Accept()
		accepted <- c
	}()
	client, err = nw.Dial(context.Background(), l.Addr().String())
	if err != nil {
		l.Close()
		return nil, nil, nil, err
	}
	server = <-accepted
	l.Close()
	return client, server, func() { client.Close(); server.Close() }, nil
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) && errors.As(err, &ne) && ne.Timeout()
}

func TestWriteIsBufferedUpToTheBound(t *testing.T) {
	a, b := Pipe(1000)
	defer a.Close()
	defer b.Close()
	// nobody reads: a write that fits returns at once (net.Pipe's would block)
	if n, err := a.Write(make([]byte, 1000)); n != 1000 || err != nil {
		t.Fatalf("write within the buffer: %d, %v", n, err)
	}
	// one more byte waits for the reader, here until the write deadline
	a.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	n, err := a.Write([]byte("xy"))
	if n != 0 || !isTimeout(err) {
		t.Fatalf("write into a full buffer: %d, %v; want 0 and a timeout", n, err)
	}
	if _, err := a.Write([]byte("x")); !isTimeout(err) {
		t.Fatalf("write after the deadline passed: %v", err)
	}
}

func TestPartialWriteReportsWhatWasWritten(t *testing.T) {
	a, b := Pipe(100)
	defer a.Close()
	defer b.Close()
	a.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
	n, err := a.Write(make([]byte, 250))
	if n != 100 || !isTimeout(err) {
		t.Fatalf("got %d, %v; want 100 and a timeout", n, err)
	}
}

func TestBlockedWriteGoesOnWhenPeerReads(t *testing.T) {
	a, b := Pipe(64)
	defer a.Close()
	defer b.Close()
	want := bytes.Repeat([]byte("0123456789"), 100)
	done := make(chan error, 1)
	go func() {
		_, err := a.Write(want)
		done <- err
	}()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(b, got); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("bytes differ")
	}
}

func TestReadDeadline(t *testing.T) {
	a, b := Pipe(0)
	defer a.Close()
	defer b.Close()
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := a.Read(make([]byte, 1)); !isTimeout(err) {
		t.Fatalf("read: %v, want a timeout", err)
	}
	// clearing the deadline makes reads work again
	a.SetReadDeadline(time.Time{})
	b.Write([]byte("x"))
	if n, err := a.Read(make([]byte, 1)); n != 1 || err != nil {
		t.Fatalf("read after clearing the deadline: %d, %v", n, err)
	}
}

// A deadline set in the past from another goroutine interrupts a blocked
// Read (protocol.Handshake ends a handshake that way when its context ends).
func TestDeadlineInterruptsBlockedRead(t *testing.T) {
	a, b := Pipe(0)
	defer a.Close()
	defer b.Close()
	a.SetReadDeadline(time.Now().Add(time.Hour))
	errc := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 1))
		errc <- err
	}()
	a.SetDeadline(time.Unix(1, 0))
	select {
	case err := <-errc:
		if !isTimeout(err) {
			t.Fatalf("read: %v, want a timeout", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("blocked read was not interrupted")
	}
}

func TestPeerCloseIsEOFAfterBufferedData(t *testing.T) {
	a, b := Pipe(0)
	defer b.Close()
	a.Write([]byte("last words"))
	a.Close()
	got, err := io.ReadAll(b) // ReadAll stops at io.EOF, which is not an error for it
	if err != nil || string(got) != "last words" {
		t.Fatalf("got %q, %v", got, err)
	}
	if _, err := b.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read after EOF: %v, want io.EOF", err)
	}
}

func TestWriteAfterPeerCloseIsBrokenPipe(t *testing.T) {
	a, b := Pipe(0)
	defer a.Close()
	b.Close()
	if _, err := a.Write([]byte("x")); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("write to a closed peer: %v, want EPIPE", err)
	}
}

func TestCallsOnClosedConnFail(t *testing.T) {
	a, b := Pipe(0)
	defer b.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := a.Read(make([]byte, 1))
		errc <- err
	}()
	a.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("blocked read ended with %v, want net.ErrClosed", err)
	}
	if _, err := a.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write: %v", err)
	}
	if err := a.SetDeadline(time.Now()); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("SetDeadline: %v", err)
	}
	if err := a.Close(); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("second Close: %v", err)
	}
}

func TestDialWithoutListenerIsRefused(t *testing.T) {
	nw := NewNetwork(0)
	if _, err := nw.Dial(context.Background(), "127.0.0.1:4040"); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want ECONNREFUSED", err)
	}
}

func TestListenAddresses(t *testing.T) {
	nw := NewNetwork(0)
	l1, err := nw.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	l2, err := nw.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if l1.Addr().String() == l2.Addr().String() {
		t.Fatalf("two listeners on %s", l1.Addr())
	}
	if _, err := nw.Listen(l1.Addr().String()); !errors.Is(err, syscall.EADDRINUSE) {
		t.Fatalf("listening twice: %v, want EADDRINUSE", err)
	}
	l1.Close()
	l3, err := nw.Listen(l1.Addr().String()) // a closed listener frees its address
	if err != nil {
		t.Fatal(err)
	}
	l2.Close()
	l3.Close()
}

func TestListenerCloseUnblocksAccept(t *testing.T) {
	nw := NewNetwork(0)
	l, err := nw.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error, 1)
	go func() {
		_, err := l.Accept()
		errc <- err
	}()
	l.Close()
	if err := <-errc; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Accept: %v, want net.ErrClosed", err)
	}
	if _, err := nw.Dial(context.Background(), l.Addr().String()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial after close: %v, want ECONNREFUSED", err)
	}
}

func TestUnacceptedConnectionsEndWithListener(t *testing.T) {
	nw := NewNetwork(0)
	l, err := nw.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c, err := nw.Dial(context.Background(), l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l.Close()
	if _, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("read on a never-accepted connection: %v, want io.EOF", err)
	}
}

func TestDialWaitsForFullBacklogUntilContextEnds(t *testing.T) {
	nw := NewNetwork(0)
	l, err := nw.Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for i := 0; i < Backlog; i++ {
		if _, err := nw.Dial(context.Background(), l.Addr().String()); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := nw.Dial(ctx, l.Addr().String()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("dial into a full backlog: %v", err)
	}
}

func TestAddresses(t *testing.T) {
	nw := NewNetwork(0)
	c, s, stop, err := dialPair(t, nw)
	if err != nil {
		t.Fatal(err)
	}
	defer stop()
	if c.RemoteAddr().String() != s.LocalAddr().String() || s.RemoteAddr().String() != c.LocalAddr().String() {
		t.Fatalf("client %v->%v, server %v->%v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
	}
	if _, _, err := net.SplitHostPort(c.LocalAddr().String()); err != nil {
		t.Fatalf("client address %q is not host:port", c.LocalAddr())
	}
}
