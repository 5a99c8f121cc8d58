package node

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// rawPeer authenticates against n as node "raw" with the given framing and
// returns the session, for writing hand-made bytes.
func rawPeer(t testing.TB, n *Node, framing string) *protocol.Session {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := n.cfg.Transport.Dial(ctx, n.Binds()[0])
	if err != nil {
		t.Fatal(err)
	}
	s, err := protocol.Handshake(ctx, c, &protocol.HandshakeConfig{NodeID: "raw", Secret: testSecret, Framings: []string{framing}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Conn.Close() })
	return s
}

// A peer that sends bytes which are not AEMP messages loses its
// connection; the node keeps running and serving others.
func TestMalformedFramesCloseOnlyThatConnection(t *testing.T) {
	for _, tc := range []struct{ framing, garbage string }{
		{"json", `["",1]{"not":"an array"}`},
		{"json", `["",tru` + "\x00"},
		{"cbor", "\x82\x40\xff\xff"},
		{"cbor", "\x1f"},
	} {
		n := newTestNode(t, "victim", true)
		s := rawPeer(t, n, tc.framing)
		if _, err := io.WriteString(s.Conn, tc.garbage); err != nil {
			t.Fatal(err)
		}
		s.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.Copy(io.Discard, s.Reader); err != nil && !errors.Is(err, net.ErrClosed) && !strings.Contains(err.Error(), "reset") {
			t.Fatalf("%s %q: connection not closed by the node: %v", tc.framing, tc.garbage, err)
		}
		// the node still works for a well-behaved peer
		other := newTestNode(t, "other", false)
		other.AddAddress("victim", n.Binds()...)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if _, err := other.Cal(ctx, "victim#", "time"); err != nil {
			t.Fatalf("node stopped serving after %q: %v", tc.garbage, err)
		}
		cancel()
	}
}

// Requests the node does not know, messages to dead ports, short or
// oddly typed node requests: logged or dropped, never fatal.
func TestOddRequestsAreHarmless(t *testing.T) {
	n := newTestNode(t, "victim", true)
	s := rawPeer(t, n, "json")
	for _, m := range []string{
		`["nosuchport","hello"]`,
		`["",""]`, `[""]`, `["","mon1"]`, `["","kil1"]`, `["","kil0"]`, `["","mon0",5]`,
		`["","can"]`, `["","snd"]`, `["","snd",42]`, `["","time"]`, `["","g_reply"]`, `["","g_found",null,7]`,
		`["","AnyEvent::MP::_spawn"]`, `["","AnyEvent::MP::_spawn","x","No::Such::init"]`,
		`["","g_slave","not a map"]`, `["","g_upd",{"a":1},"x",9]`, `["","g_mon1"]`, `["","g_db_keys"]`,
		`[1,2,3]`, `[null]`,
	} {
		if _, err := io.WriteString(s.Conn, m); err != nil {
			t.Fatalf("write %s: %v", m, err)
		}
	}
	// still answering on the same connection
	io.WriteString(s.Conn, `["","time","raw#reply"]`)
	dec, _ := protocol.NewDecoder(s.RecvFraming, s.Reader)
	s.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		m, err := dec.Decode()
		if err != nil {
			t.Fatalf("no time reply: %v", err)
		}
		if m.Port == "reply" {
			if _, ok := m.Data[0].(float64); !ok {
				t.Fatalf("time reply %v", m)
			}
			return
		}
	}
}

// Connection loss is reported with AnyEvent::Handle's words, as a Perl
// node reports it.
func TestTransportErrorReasonsUsePerlWords(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want string
	}{
		{io.EOF, "Unexpected end-of-file"},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, "Connection reset by peer"},
		{&net.OpError{Op: "write", Err: syscall.EPIPE}, "Broken pipe"},
	} {
		if got := perlReason(tc.err); got != tc.want {
			t.Errorf("perlReason(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
	// and end to end: the peer closes, the monitor hears "Unexpected end-of-file"
	if r := reasonOfConnectionLoss(t); len(r) != 3 || r[2] != "Unexpected end-of-file" {
		t.Fatalf("reason %v", r)
	}
}
