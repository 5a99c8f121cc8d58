package main

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// trace crosses Go nodes: they answer aemp's up_nodes question.
func TestTraceThroughGoNodes(t *testing.T) {
	addr := freeAddr(t)
	seed := startNode(t, node.Config{NodeID: "gseed", Binds: []string{addr}, Seeds: []string{addr}})
	leaf := startNode(t, node.Config{NodeID: "gleaf", Seeds: []string{addr}})
	waitUp(t, seed, "gleaf")
	_ = leaf
	rcFor(t, addr, testSecret)
	r := mustAemp(t, "trace", "gseed")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	slices.Sort(lines)
	want := []string{"gleaf -> gseed", "gseed -> gleaf", "seed -> gseed"}
	if !slices.Equal(lines, want) {
		t.Errorf("trace printed %q, want %q", lines, want)
	}
}

func TestTraceDot(t *testing.T) {
	recv := startFakePerl(t, "recv", []string{"seed"}, nil)
	seed := startFakePerl(t, "seed", []string{"ghost", "recv"}, map[string]string{"recv": recv.addr})
	rcFor(t, seed.addr, testSecret)
	r := aemp(t, "trace", "--dot", "seed")
	want := `graph aemp {
  "seed" [style=bold];
  "ghost" [style=dashed, color=red, label="ghost (unreachable)"];
  "recv";
  "seed" -- "ghost";
  "seed" -- "recv";
}
`
	if r.code != exitNoReply || r.stdout != want {
		t.Errorf("exit %d, printed\n%s\nwant\n%s", r.code, r.stdout, want)
	}
}

func waitUp(t *testing.T, n *node.Node, id string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for !n.NodeIsUp(id) {
		select {
		case <-ctx.Done():
			t.Fatalf("%s never connected to %s", id, n.ID())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
