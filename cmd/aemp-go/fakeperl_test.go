package main

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aemp-go/aemp-go/protocol"
)

// fakePerl is a minimal stand-in for a Perl node, built on package
// protocol alone: it answers what aemp's eval and trace need from a Perl
// node (eval of "$$", of up_nodes and of failing code) and, as a global
// node, g_find. Go nodes cannot evaluate Perl, so this is how the Perl
// side of those commands is tested in-process.
type fakePerl struct {
	id, addr string
	peers    []string          // up_nodes besides the connected nodes
	found    map[string]string // g_find answers: node -> address

	mu        sync.Mutex
	connected []string
}

func startFakePerl(t *testing.T, id string, peers []string, found map[string]string) *fakePerl {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakePerl{id: id, addr: l.Addr().String(), peers: peers, found: found}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() { cancel(); l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go f.serve(ctx, c)
		}
	}()
	return f
}

func (f *fakePerl) serve(ctx context.Context, c net.Conn) {
	s, err := protocol.Handshake(ctx, c, &protocol.HandshakeConfig{NodeID: f.id, Secret: testSecret, Provider: "AE-2.02"})
	if err != nil {
		return
	}
	defer s.Conn.Close()
	f.mu.Lock()
	f.connected = append(f.connected, s.Remote.NodeID)
	f.mu.Unlock()
	dec, _ := protocol.NewDecoder(s.RecvFraming, s.Reader)
	enc, _ := protocol.Appender(s.SendFraming)
	send := func(portID string, data ...any) {
		_, port, _ := strings.Cut(portID, "#")
		b, _ := enc(nil, protocol.Message{Port: port, Data: data})
		s.Conn.Write(b)
	}
	for {
		m, err := dec.Decode()
		if err != nil {
			return
		}
		if m.Port != "" || len(m.Data) == 0 {
			continue
		}
		switch m.Data[0] {
		case "eval": // ["eval", expr, reply port, extra...] -> [extra..., $@, results...]
			expr, _ := m.Data[1].(string)
			reply, _ := m.Data[2].(string)
			extra := m.Data[3:]
			switch expr {
			case "$$":
				send(reply, append(extra, "", int64(6144))...)
			case restartExpr:
				send(reply, append(extra, "")...)
			case upNodesExpr:
				f.mu.Lock()
				up := append(append([]any{}, toAny(f.peers)...), toAny(f.connected)...)
				f.mu.Unlock()
				send(reply, append(append(extra, ""), up...)...)
			default:
				send(reply, append(extra, "syntax error at (eval 1) line 1.\n")...)
			}
		case "g_find":
			id, _ := m.Data[1].(string)
			var addrs any
			if a, ok := f.found[id]; ok {
				addrs = []any{a}
			}
			send(s.Remote.NodeID, "g_found", id, addrs)
		}
	}
}

func toAny(l []string) []any {
	out := make([]any, len(l))
	for i, s := range l {
		out[i] = s
	}
	return out
}

func TestEvalOnPerlNode(t *testing.T) {
	f := startFakePerl(t, "recv", nil, nil)
	rcFor(t, f.addr, testSecret)
	r := mustAemp(t, "eval", "recv", "$$")
	if r.stdout != "6144\n" { // fixture aemp-eval.log
		t.Errorf("eval printed %q", r.stdout)
	}
	r = aemp(t, "eval", "recv#port", "1", "+")
	if r.code != exitNoReply || !strings.Contains(r.stderr, "syntax error") {
		t.Errorf("failing eval: %+v", r)
	}
	if r := mustAemp(t, "restart", "recv"); r.stdout != "\n" {
		t.Errorf("restart printed %q", r.stdout)
	}
}

// trace over two "Perl" nodes prints what the fixture aemp-trace.log
// shows.
func TestTraceOnPerlNodes(t *testing.T) {
	recv := startFakePerl(t, "recv", []string{"seed"}, nil)
	seed := startFakePerl(t, "seed", []string{"recv"}, map[string]string{"recv": recv.addr})
	rcFor(t, seed.addr, testSecret)
	r := mustAemp(t, "trace", "seed")
	want := "seed -> seed\nseed -> recv\nrecv -> seed\n"
	if r.stdout != want {
		t.Errorf("trace printed\n%s\nwant\n%s", r.stdout, want)
	}
}

// A node that no seed knows is reported, and makes trace exit 1.
func TestTraceUnreachableNeighbour(t *testing.T) {
	seed := startFakePerl(t, "seed", []string{"ghost"}, nil)
	rcFor(t, seed.addr, testSecret)
	r := aemp(t, "trace", "seed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	slices.Sort(lines)
	want := []string{"ghost (unreachable)", "seed -> ghost", "seed -> seed"}
	if r.code != exitNoReply || !slices.Equal(lines, want) {
		t.Errorf("exit %d, lines %q, want %q", r.code, lines, want)
	}
}
