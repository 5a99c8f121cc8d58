package node

import "testing"

// TestDeliveryFollowsHandlerChanges: the remembered delivery (delivery.go)
// never outlives a change. A handler that replaces its own tag handler,
// falls back to the default, or is killed, changes where the very next
// message goes, exactly as without the cache.
func TestDeliveryFollowsHandlerChanges(t *testing.T) {
	n := newTestNode(t, "n", false)
	got := make(chan string, 16)
	p := n.NewPort(func(_ *Port, args []any) { got <- "default" })
	p.Rcv("t", func(self *Port, _ []any) {
		got <- "first"
		self.Rcv("t", func(self *Port, _ []any) {
			got <- "second"
			self.Rcv("t", nil) // from now on the default handler
		})
	})
	p.Rcv("u", func(*Port, []any) { got <- "u" })
	send := func(tag any) { n.Snd(p.ID(), tag) }
	for _, tc := range []struct {
		tag  any
		want string
	}{{"t", "first"}, {"t", "second"}, {"t", "default"}, {"t", "default"}, {"u", "u"}, {"u", "u"},
		{int64(5), "default"}, {"u", "u"}} {
		send(tc.tag)
		if g := recv(t, got); g != tc.want {
			t.Fatalf("tag %v went to %q, want %q", tc.tag, g, tc.want)
		}
	}

	// a port killed and made again under the same name gets the new handler
	q, _ := n.Port("fixed")
	q.Rcv("t", func(*Port, []any) { got <- "old" })
	n.Snd(q.ID(), "t")
	if g := recv(t, got); g != "old" {
		t.Fatalf("got %q, want old", g)
	}
	dead := make(chan struct{})
	n.Snd(q.ID(), "t") // remembered again
	recv(t, got)
	n.MonFunc(q.ID(), func([]any) { close(dead) })
	q.Kil() // runs on the loop
	recv(t, dead)
	n.Snd(q.ID(), "t") // to no port: dropped
	q.Rcv("t", func(*Port, []any) { got <- "new" })
	n.Snd(q.ID(), "t")
	if g := recv(t, got); g != "new" {
		t.Fatalf("after kill and Rcv got %q, want new", g)
	}
}

// TestDeliveryHandleNamesEachSender: consecutive messages to one port from
// two nodes each get a handle naming their own sender.
func TestDeliveryHandleNamesEachSender(t *testing.T) {
	a, b := pair(t)
	got := make(chan string, 8)
	bp := b.NewPort(func(self *Port, _ []any) { got <- self.SrcNode() })
	for _, from := range []*Node{a, b, b, a} {
		from.Snd(bp.ID(), "x")
		if g := recv(t, got); g != from.id {
			t.Fatalf("SrcNode %q, want %q", g, from.id)
		}
	}
}
