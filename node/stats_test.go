package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// peerStats finds one peer in a snapshot.
func peerOf(t testing.TB, s Stats, id string) PeerStats {
	t.Helper()
	for _, p := range s.Peers {
		if p.NodeID == id {
			return p
		}
	}
	t.Fatalf("no peer %q in %+v", id, s.Peers)
	return PeerStats{}
}

// Messages, bytes, monitors and connection state move as traffic flows;
// after the peer dies its state and transport error counter show it.
func TestStatsCountTrafficAndConnectionLoss(t *testing.T) {
	a, b := pair(t)
	const msgs = 200
	got := make(chan struct{}, msgs)
	bp := b.NewPort(func(*Port, []any) { got <- struct{}{} })
	lost := make(chan []any, 1)
	if _, err := a.MonFunc(bp.ID(), func(r []any) { lost <- r }); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < msgs; i++ {
		if err := a.Snd(bp.ID(), "n", i); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < msgs; i++ {
		recv(t, got)
	}

	// b's reader adds what it decoded to MessagesIn before its next read
	eventually(t, "b counting a's messages", func() bool { return peerOf(t, b.Stats(), "a").MessagesIn >= msgs+1 })
	sa, sb := a.Stats(), b.Stats()
	pa, pb := peerOf(t, sa, "b"), peerOf(t, sb, "a")
	if pa.State != PeerUp || pb.State != PeerUp {
		t.Errorf("states %s/%s, want up", pa.State, pb.State)
	}
	// the messages, plus mon1 on the same connection
	if pa.MessagesOut < msgs+1 || pb.MessagesIn < msgs+1 {
		t.Errorf("a sent %d, b received %d messages; want at least %d", pa.MessagesOut, pb.MessagesIn, msgs+1)
	}
	if pa.Connects != 1 || pa.Reconnects != 0 || pa.LastChange.IsZero() {
		t.Errorf("a's view of b: connects %d reconnects %d last change %v", pa.Connects, pa.Reconnects, pa.LastChange)
	}
	if pa.SendFraming != "cbor" || pa.RecvFraming != "cbor" {
		t.Errorf("framings %q/%q", pa.SendFraming, pa.RecvFraming)
	}
	if pa.Monitors != 1 || sa.RemoteMonitors != 1 || pb.MonitoredBy != 1 || sb.LocalMonitors != 1 {
		t.Errorf("monitors: a on b %d (total %d), b's incoming %d (local %d); want 1 each",
			pa.Monitors, sa.RemoteMonitors, pb.MonitoredBy, sb.LocalMonitors)
	}
	if sb.Ports != 1 {
		t.Errorf("b has %d ports, want 1", sb.Ports)
	}
	// Once nothing is in flight, what one side wrote the other has read.
	eventually(t, "bytes out = bytes in", func() bool {
		out, in := peerOf(t, a.Stats(), "b").BytesOut, peerOf(t, b.Stats(), "a").BytesIn
		return out == in && out > msgs*4
	})

	b.Close()
	r := recv(t, lost)
	sa = a.Stats()
	pa = peerOf(t, sa, "b")
	if pa.State != PeerDown {
		t.Errorf("after b closed: state %s", pa.State)
	}
	want := ReasonEOF
	if len(r) > 2 && r[2] == "Connection reset by peer" {
		want = ReasonReset
	}
	if pa.TransportErrors[want] != 1 || sa.TransportErrors[want] != 1 {
		t.Errorf("after %v: peer errors %v, node errors %v; want %s = 1", r, pa.TransportErrors, sa.TransportErrors, want)
	}
	if len(pa.TransportErrors) != len(TransportErrorReasons) {
		t.Errorf("reasons %v, want every one of %v", pa.TransportErrors, TransportErrorReasons)
	}
	if pa.Monitors != 0 || sa.RemoteMonitors != 0 {
		t.Errorf("monitors after the loss: %d/%d, want 0", pa.Monitors, sa.RemoteMonitors)
	}
}

// Messages queued for a node that cannot be reached are counted as
// dropped when the attempt fails.
func TestStatsDroppedOnConnectFailure(t *testing.T) {
	a := testNode(t, Config{NodeID: "a", ConnectInterval: 100 * time.Millisecond})
	a.AddAddress("nowhere", freeAddr(t))
	fired := make(chan []any, 1)
	a.MonFunc("nowhere#x", func(r []any) { fired <- r })
	a.Snd("nowhere#x", "one")
	a.Snd("nowhere#x", "two")
	recv(t, fired)
	p := peerOf(t, a.Stats(), "nowhere")
	if p.DroppedMessages < 2 || p.State == PeerUp || p.Connects != 0 {
		t.Errorf("dropped %d, state %s, connects %d", p.DroppedMessages, p.State, p.Connects)
	}
	if n := p.TransportErrors[ReasonConnectTimeout] + p.TransportErrors[ReasonReset] + p.TransportErrors[ReasonOther]; n == 0 {
		t.Errorf("no transport error counted: %v", p.TransportErrors)
	}
}

// A wrong shared secret is counted as auth_failed on the dialling side.
func TestStatsHandshakeFailures(t *testing.T) {
	a := newTestNode(t, "a", true)
	b, err := New(Config{NodeID: "b", Secret: "other secret", Transport: testTransport(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := b.Connect(ctx, a.Binds()[0]); !errors.Is(err, protocol.ErrAuthFailed) {
		t.Fatalf("connect with the wrong secret: %v", err)
	}
	if got := b.Stats().HandshakeFailures["auth_failed"]; got != 1 {
		t.Errorf("b counted %d auth failures, want 1: %v", got, b.Stats().HandshakeFailures)
	}
	eventually(t, "a counts the failed handshake", func() bool {
		var sum uint64
		for _, v := range a.Stats().HandshakeFailures {
			sum += v
		}
		return sum == 1
	})
}

// Database sizes, master and global state are published by the dispatch
// goroutine and read by Stats.
func TestStatsDatabaseAndGlobalState(t *testing.T) {
	seed := freeAddr(t)
	g := startNode(t, "g", []string{seed}, []string{seed})
	s := startNode(t, "s", nil, []string{seed})
	if _, err := s.DBSet("fam", "k1", 1); err != nil {
		t.Fatal(err)
	}
	s.DBSet("fam", "k2", 2)
	s.DBSet("other", "k", 3)
	eventually(t, "the slave's database on the global node", func() bool {
		st := g.Stats()
		return st.Global && st.Master == "g" && st.GlobalSlaves == 2 && st.GlobalDBKeys >= 3+2 // itself and s; + 'l and 'g entries
	})
	eventually(t, "the slave's own view", func() bool {
		st := s.Stats()
		// fam (2), other (1), 'l (its own listeners: none, but the key exists)
		return !st.Global && st.Master == "g" && st.DBFamilies == 3 && st.DBKeys == 4 && st.KnownGlobalNodes == 0
	})
	if st := g.Stats(); st.KnownGlobalNodes != 1 {
		t.Errorf("global node knows %d global nodes, want itself", st.KnownGlobalNodes)
	}
	s.DBDel("other", "k")
	eventually(t, "the deletion", func() bool { st := s.Stats(); return st.DBFamilies == 2 && st.DBKeys == 3 })
}

func TestStatsReasonMapping(t *testing.T) {
	if len(handshakeSentinels)+4 != len(handshakeReasons) {
		t.Fatalf("%d sentinels + 4 socket reasons != %d names", len(handshakeSentinels), len(handshakeReasons))
	}
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&protocol.HandshakeError{Addr: "x", Err: protocol.ErrAuthFailed}, "auth_failed"},
		{fmt.Errorf("b %w", protocol.ErrAlreadyConnected), "already_connected"},
		{protocol.ErrTLS, "tls"},
		{protocol.ErrNoCommonFraming, "no_common_framing"},
		{&protocol.HandshakeError{Err: os.ErrDeadlineExceeded}, "timeout"},
		{context.DeadlineExceeded, "timeout"},
		{io.ErrUnexpectedEOF, "eof"},
		{&net.OpError{Op: "read", Err: syscall.ECONNRESET}, "reset"},
		{errors.New("what"), "other"},
	} {
		if got := handshakeReasons[handshakeReason(tc.err)]; got != tc.want {
			t.Errorf("handshake %v: %s, want %s", tc.err, got, tc.want)
		}
	}
	for _, tc := range []struct{ msg, want string }{
		{"Unexpected end-of-file", ReasonEOF},
		{"Connection reset by peer", ReasonReset},
		{"Broken pipe", ReasonBrokenPipe},
		{"Connection timed out", ReasonTimeout},
		{"read tcp 127.0.0.1:1->127.0.0.1:2: i/o timeout", ReasonTimeout},
		{"connection closed", ReasonClosed},
		{"connect timeout", ReasonConnectTimeout},
		{"no known address", ReasonNoAddress},
		{"malformed message: cbor: unexpected", ReasonMalformed},
		{"send queue limit (1048576 bytes) exceeded", ReasonLimit},
		{"send queue overflow (64 MiB)", ReasonSendQueue},
		{"send queue overflow (1 MiB) while connecting", ReasonSendQueue},
		{"write stalled for 30s", ReasonWriteStall},
		{"heartbeat timeout: no answer from node in 15s", ReasonHeartbeat},
		{"message too large: at least 17825792 bytes, limit 16777216 bytes (limit 16 MiB: Config.MaxMessageSize, rc-file key max_message_size)", ReasonMessageSize},
		{"something new", ReasonOther},
		{"", ReasonOther},
	} {
		if got := transportReasons[transportReason(tc.msg)]; got != tc.want {
			t.Errorf("transport %q: %s, want %s", tc.msg, got, tc.want)
		}
	}
}

// Stats never waits for the dispatch goroutine: a handler that blocks
// does not block it.
func TestStatsWhileHandlerBlocks(t *testing.T) {
	n := newTestNode(t, "n", false)
	release, started := make(chan struct{}), make(chan struct{}, 2)
	p := n.NewPort(func(*Port, []any) { started <- struct{}{}; <-release })
	defer close(release)
	n.Snd(p.ID(), "block")
	// "queued" is sent once "block" runs: sent together, the loop could
	// take both in one batch and leave nothing counted as waiting (the
	// node is started, so its first seeding may be waiting too)
	recv(t, started)
	n.Snd(p.ID(), "queued")
	done := make(chan Stats, 1)
	go func() { // recv bounds the wait, should Stats block
		for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
			if s := n.Stats(); s.DispatchQueue >= 1 { // "queued", and the started node's first seeding
				done <- s
				return
			}
		}
	}()
	if s := recv(t, done); s.Ports != 1 {
		t.Errorf("ports %d", s.Ports)
	}
}
