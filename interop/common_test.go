package interop

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// testSecret is the shared secret of every mesh in these tests.
const testSecret = "interop-secret-0123456789abcdefghijklmnopqrstuvwxyz"

// timeout returns a context for one step of a test.
func timeout(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// recv waits for one value on ch.
func recv[T any](t testing.TB, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
		panic("unreachable")
	}
}

// goNode starts a Go node whose log goes to a LogSink that is shown when
// the test fails; it is closed at cleanup.
func goNode(t testing.TB, cfg node.Config) (*node.Node, *LogSink) {
	t.Helper()
	sink, logger := NewLogSink()
	cfg.Logger = logger
	if cfg.Secret == "" {
		cfg.Secret = testSecret
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		if t.Failed() {
			t.Logf("---- Go node %s log ----\n  %s", cfg.NodeID, strings.Join(sink.Lines(), "\n  "))
		}
	})
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	return n, sink
}

// waitUp waits until n has a connection to nodeID.
func waitUp(t testing.TB, n *node.Node, nodeID string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !n.NodeIsUp(nodeID) {
		if time.Now().After(deadline) {
			t.Fatalf("Go node %s: no connection to %s after 10s", n.ID(), nodeID)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Agent is a Perl node running testdata/agent.pl.
type Agent struct {
	*Proc
	mu  sync.Mutex
	seq int
}

// StartAgent runs testdata/agent.pl as the node spec describes and waits
// for it to be ready.
func StartAgent(t testing.TB, spec Spec) *Agent {
	t.Helper()
	return startAgentScript(t, spec, "agent.pl")
}

// startAgentScript runs the command agent testdata/<name> (agent.pl or
// ops_agent.pl) with its command loop, testdata/agent_serve.pl, appended,
// as the node spec describes, and waits for it to be ready.
func startAgentScript(t testing.TB, spec Spec, name string) *Agent {
	t.Helper()
	script, err := readTestdata(name)
	if err != nil {
		t.Fatal(err)
	}
	serve, err := readTestdata("agent_serve.pl")
	if err != nil {
		t.Fatal(err)
	}
	a := &Agent{Proc: StartScript(t, spec, script+"\n"+serve)}
	a.WaitEvent(t, timeout(t, StartTimeout), "ready", Ev("ready", ""))
	return a
}

// Do runs one agent command and returns its "done" event. The command
// gets a fresh id unless it has one.
func (a *Agent) Do(t testing.TB, cmd map[string]any) Event {
	t.Helper()
	id, _ := cmd["id"].(string)
	if id == "" {
		a.mu.Lock()
		a.seq++
		id = fmt.Sprintf("c%d", a.seq)
		a.mu.Unlock()
		cmd["id"] = id
	}
	a.Send(t, cmd)
	ev := a.WaitEvent(t, timeout(t, 10*time.Second), fmt.Sprintf("reply to %v", cmd), func(e Event) bool {
		return e.Str("id") == id && (e.Str("ev") == "done" || e.Str("ev") == "error")
	})
	if ev.Str("ev") == "error" {
		t.Fatalf("Perl agent %s: command %v failed: %s", a.Name, cmd, ev.Str("error"))
	}
	return ev
}

// NewPort makes a test port on the Perl node (see agent.pl) and returns
// its ID.
func (a *Agent) NewPort(t testing.TB, name string) string {
	t.Helper()
	return a.Do(t, map[string]any{"op": "port", "name": name}).Str("port")
}

// Msg waits for the next message on the agent's test port called name and
// returns its data as Perl's canonical JSON.
func (a *Agent) Msg(t testing.TB, ctx context.Context, name string) string {
	t.Helper()
	return a.WaitEvent(t, ctx, "message on Perl port "+name, func(e Event) bool {
		return e.Str("ev") == "msg" && e.Str("name") == name
	}).Raw("data")
}

// rawPeer is the data phase of a handshake made with protocol.Handshake:
// it sends in the session's send framing and decodes in its receive
// framing, remembering the first byte the peer sent.
type rawPeer struct {
	s     *protocol.Session
	enc   func([]byte, protocol.Message) ([]byte, error)
	dec   protocol.Decoder
	first *firstByte
}

type firstByte struct {
	r    io.Reader
	mu   sync.Mutex
	b    byte
	seen bool
}

func (f *firstByte) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 {
		f.mu.Lock()
		if !f.seen {
			f.b, f.seen = p[0], true
		}
		f.mu.Unlock()
	}
	return n, err
}

func newRawPeer(t testing.TB, s *protocol.Session) *rawPeer {
	t.Helper()
	enc, err := protocol.Appender(s.SendFraming)
	if err != nil {
		t.Fatal(err)
	}
	fb := &firstByte{r: s.Reader}
	dec, err := protocol.NewDecoder(s.RecvFraming, fb)
	if err != nil {
		t.Fatal(err)
	}
	return &rawPeer{s: s, enc: enc, dec: dec, first: fb}
}

func (r *rawPeer) send(t testing.TB, m protocol.Message) {
	t.Helper()
	b, err := r.enc(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	r.s.Conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.s.Conn.Write(b); err != nil {
		t.Fatalf("raw send %v: %v", m, err)
	}
}

// recvUntil reads messages until match accepts one; it returns that one
// and every message read before it.
func (r *rawPeer) recvUntil(t testing.TB, what string, match func(protocol.Message) bool) (protocol.Message, []protocol.Message) {
	t.Helper()
	r.s.Conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer r.s.Conn.SetReadDeadline(time.Time{})
	var before []protocol.Message
	for {
		m, err := r.dec.Decode()
		if err != nil {
			t.Fatalf("waiting for %s: %v (got before: %v)", what, err, before)
		}
		if match(m) {
			return m, before
		}
		before = append(before, m)
	}
}

// firstByteFraming tells the framing of the first data byte: JSON
// messages are arrays, '['; CBOR arrays have major type 4 (0x80-0x9f).
func firstByteFraming(b byte) string {
	switch {
	case b == '[':
		return protocol.FramingJSON
	case b >= 0x80 && b <= 0x9f:
		return protocol.FramingCBOR
	}
	return fmt.Sprintf("unknown (0x%02x)", b)
}

// checkTime checks a reply to a "time" request: one float, now.
func checkTime(t testing.TB, who string, reply []any) {
	t.Helper()
	if len(reply) != 1 {
		t.Fatalf("%s time reply %#v: want one value", who, reply)
	}
	f, ok := reply[0].(float64)
	if !ok {
		t.Fatalf("%s time reply %#v: want a float64", who, reply)
	}
	now := float64(time.Now().UnixMicro()) / 1e6
	if f < now-60 || f > now+60 {
		t.Fatalf("%s time reply %f is not now (%f)", who, f, now)
	}
	if f == float64(int64(f)) {
		t.Errorf("%s time reply %f has no fractional part (Perl sends AE::now/Time::HiRes time)", who, f)
	}
}

func goHandshakeConfig(nodeID string, framings []string, peer string) *protocol.HandshakeConfig {
	return &protocol.HandshakeConfig{
		NodeID:   nodeID,
		Secret:   testSecret,
		Framings: framings,
		PeerAddr: peer,
		Pairs:    []protocol.KV{{Key: protocol.KeyMProto, Value: "1"}, {Key: protocol.KeyGProto, Value: "1"}},
		Timeout:  10 * time.Second,
	}
}

// acceptOne accepts one connection on l within d.
func acceptOne(t testing.TB, l net.Listener, d time.Duration) net.Conn {
	t.Helper()
	type res struct {
		c   net.Conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		c, err := l.Accept()
		ch <- res{c, err}
	}()
	select {
	case r := <-ch:
		if r.err != nil {
			t.Fatal(r.err)
		}
		t.Cleanup(func() { r.c.Close() })
		return r.c
	case <-time.After(d):
		l.Close()
		t.Fatalf("no connection from Perl on %s within %v", l.Addr(), d)
		panic("unreachable")
	}
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	return l
}

func eqStrings(a, b []string) bool { return slices.Equal(a, b) }

// readTestdata returns the text of a Perl script in testdata/.
func readTestdata(name string) (string, error) {
	b, err := os.ReadFile(filepath.Join("testdata", name))
	return string(b), err
}
