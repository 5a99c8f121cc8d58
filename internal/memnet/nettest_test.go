package memnet

import (
	"net"
	"testing"

	"golang.org/x/net/nettest"
)

// TestConnConformance runs x/net's net.Conn conformance suite (basic I/O,
// ping-pong, racy reads and writes, past/present/future deadlines, close
// during a timeout, concurrent method calls) over a Pipe and over a
// dialled Network connection.
func TestConnConformance(t *testing.T) {
	t.Run("Pipe", func(t *testing.T) {
		nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
			a, b := Pipe(0)
			return a, b, func() { a.Close(); b.Close() }, nil
		})
	})
	t.Run("Network", func(t *testing.T) {
		nettest.TestConn(t, func() (c1, c2 net.Conn, stop func(), err error) {
			return dialPair(t, NewNetwork(0))
		})
	})
}
