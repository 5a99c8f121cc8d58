package node

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

// TestEvalAllowlistAnswersLikePerl: aemp trace's question gets Perl's
// reply shape [reply extras..., "$@", results...]; other code gets no
// reply, as from a Perl node in secure mode.
func TestEvalAllowlistAnswersLikePerl(t *testing.T) {
	a, b := pair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	got := make(chan []any, 4)
	ap := a.NewPort(func(_ *Port, args []any) { got <- args })
	a.Snd("b#", "eval", "AnyEvent::MP::Kernel::up_nodes", ap.ID(), "b")
	if m := recv(t, got); !reflect.DeepEqual(m, []any{"b", "", "a"}) {
		t.Fatalf("up_nodes answered %#v", m)
	}
	for expr, want := range map[string][]any{
		" AnyEvent::MP::Kernel::up_nodes (); ": {"", "a"},
		"$AnyEvent::MP::Kernel::NODE":          {"", "b"},
	} {
		r, err := a.Cal(ctx, "b#", "eval", expr)
		if err != nil || !reflect.DeepEqual(r, want) {
			t.Fatalf("eval %q: %#v %v", expr, r, err)
		}
	}
	// code that is not on the list: no answer (and the node survives)
	noReply(t, a, "b#", "eval", "AnyEvent::MP::Kernel::up_nodes; system 'id'")
	_ = b
}

// noReply sends req to a node port with a reply port appended, as Cal
// does, and fails if an answer comes. A time request sent after it is
// answered on the same connection and dispatched in order, so once that
// reply is in, an answer to req would have been too.
func noReply(t *testing.T, a *Node, to string, req ...any) {
	t.Helper()
	got := make(chan []any, 1)
	rp := a.NewPort(func(_ *Port, m []any) { got <- m })
	defer rp.Kil()
	a.Snd(to, append(req, rp.ID())...)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Cal(ctx, to, "time"); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-got:
		t.Fatalf("%v answered %#v", req, m)
	default:
	}
}

func TestEvalRefusedInSecureMode(t *testing.T) {
	a := newTestNode(t, "a", true)
	b := testNode(t, Config{NodeID: "b", Binds: []string{"127.0.0.1:0"}, Secure: true})
	a.AddAddress("b", b.Binds()...)
	noReply(t, a, "b#", "eval", "AnyEvent::MP::Kernel::up_nodes")
}

// TestTagMatchesPerlStringification: Perl finds tag handlers by hash
// key, so the first element is stringified.
func TestTagMatchesPerlStringification(t *testing.T) {
	n := newTestNode(t, "n", false)
	got := make(chan string, 8)
	p := n.NewPort(func(_ *Port, args []any) { got <- "default" })
	for _, tag := range []string{"1", "1.5", "0", "", "x"} {
		p.Rcv(tag, func(_ *Port, args []any) { got <- tag })
	}
	for _, tc := range []struct {
		first any
		want  string
	}{{int64(1), "1"}, {1.5, "1.5"}, {true, "1"}, {false, "0"}, {nil, ""}, {"x", "x"},
		{[]any{"x"}, "default"}, {map[string]any{}, "default"}, {int64(2), "default"}} {
		n.Snd(p.ID(), tc.first, "arg")
		if g := recv(t, got); g != tc.want {
			t.Errorf("first element %#v went to %q, want %q", tc.first, g, tc.want)
		}
	}
}

// TestSrcNodeNamesTheSender: a handler learns the node a message came
// from; a locally sent message names this node; a self kept from an
// earlier message still names that message's sender (deliveries share
// handles, port.go).
func TestSrcNodeNamesTheSender(t *testing.T) {
	a, b := pair(t)
	got := make(chan *Port, 3)
	bp := b.NewPort(func(self *Port, _ []any) { got <- self })
	a.Snd(bp.ID(), "hi")
	first := recv(t, got)
	if s := first.SrcNode(); s != "a" {
		t.Fatalf("SrcNode %q, want a", s)
	}
	b.Snd(bp.ID(), "hi")
	if s := recv(t, got).SrcNode(); s != "b" {
		t.Fatalf("SrcNode %q, want b", s)
	}
	a.Snd(bp.ID(), "hi")
	if s := recv(t, got).SrcNode(); s != "a" {
		t.Fatalf("SrcNode %q, want a", s)
	}
	if s := first.SrcNode(); s != "a" {
		t.Fatalf("kept self's SrcNode changed to %q, want a", s)
	}
	if s := bp.SrcNode(); s != "" {
		t.Fatalf("SrcNode outside a handler %q", s)
	}
}

func TestPortIsLocal(t *testing.T) {
	n := newTestNode(t, "n", false)
	for id, want := range map[string]bool{"n#x": true, "n": true, "n#": true, "m#x": false, "nn#x": false, "": false} {
		if got := n.PortIsLocal(id); got != want {
			t.Errorf("PortIsLocal(%q) = %v", id, got)
		}
	}
}

// TestNodeStateThreeValues: up, known but down (connecting), unknown
// (never contacted, or lost with nothing waiting), as Perl's node_is_up.
func TestNodeStateThreeValues(t *testing.T) {
	a := testNode(t, Config{NodeID: "a", Binds: []string{"127.0.0.1:0"}, ConnectInterval: 300 * time.Millisecond})
	b := newTestNode(t, "b", true)
	a.AddAddress("b", b.Binds()...)
	if s := a.NodeState("a"); s != NodeUp {
		t.Fatalf("self: %v", s)
	}
	if s := a.NodeState("b"); s != NodeUnknown {
		t.Fatalf("b before contact: %v", s)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.Cal(ctx, "b#", "time"); err != nil {
		t.Fatal(err)
	}
	if s := a.NodeState("b"); s != NodeUp || !a.NodeIsUp("b") {
		t.Fatalf("b connected: %v", s)
	}
	down := make(chan bool, 1)
	a.MonNodes(func(id string, up bool, _ []any) {
		if id == "b" && !up {
			down <- true
		}
	})
	b.Close()
	recv(t, down)
	eventually(t, "b forgotten after the loss", func() bool { return a.NodeState("b") == NodeUnknown })
	// a message for b: a connection attempt runs, b is known and down
	a.Snd("b#x", "hello")
	if s := a.NodeState("b"); s != NodeDown || a.NodeIsUp("b") {
		t.Fatalf("b while connecting: %v", s)
	}
	// ... until the attempt gives up (connect_interval)
	eventually(t, "b forgotten after the failed attempt", func() bool { return a.NodeState("b") == NodeUnknown })
	if s := a.NodeState("c"); s != NodeUnknown {
		t.Fatalf("c: %v", s)
	}
}

func TestPevalResult(t *testing.T) {
	n := newTestNode(t, "n", false)
	p := n.NewPort(func(*Port, []any) {})
	if v, ok := PevalResult(p, func() []int { return []int{1, 2} }); !ok || !slices.Equal(v, []int{1, 2}) {
		t.Fatalf("got %v %v", v, ok)
	}
	died := make(chan []any, 1)
	n.MonFunc(p.ID(), func(r []any) { died <- r })
	if v, ok := PevalResult(p, func() int { panic("boom\n") }); ok || v != 0 {
		t.Fatalf("after panic got %v %v", v, ok)
	}
	if r := recv(t, died); !reflect.DeepEqual(r, []any{"die", "boom"}) {
		t.Fatalf("port died with %#v", r)
	}
}
