package node

import (
	"reflect"
	"testing"
)

// The global service driven directly through its request table with a
// fake node: each test asserts what the service sends (and what it
// changes in its node's own database), as Global.pm would.

type fakeGlobalHost struct {
	id     string
	sent   [][]any // port, msg...
	dbSets [][]any // family, key, value
	dbDels [][]any // family, keys
	addrs  map[string][]string
}

func (f *fakeGlobalHost) ID() string { return f.id }
func (f *fakeGlobalHost) send(port string, msg ...any) {
	f.sent = append(f.sent, append([]any{port}, msg...))
}
func (f *fakeGlobalHost) dbSet(family, key string, value any) {
	f.dbSets = append(f.dbSets, []any{family, key, value})
}
func (f *fakeGlobalHost) dbDel(family string, keys []string) {
	f.dbDels = append(f.dbDels, []any{family, keys})
}
func (f *fakeGlobalHost) AddAddress(id string, addrs ...string) {
	if f.addrs == nil {
		f.addrs = map[string][]string{}
	}
	f.addrs[id] = addrs
}

// take returns what was sent since the last take.
func (f *fakeGlobalHost) take() [][]any {
	s := f.sent
	f.sent = nil
	return s
}

func newTestGlobal(t *testing.T) (*globalService, *fakeGlobalHost, func(src, tag string, args ...any)) {
	t.Helper()
	host := &fakeGlobalHost{id: "g1"}
	s := newGlobalService(host, &nodeStats{})
	reqs := s.requests()
	req := func(src, tag string, args ...any) {
		t.Helper()
		h := reqs[tag]
		if h == nil {
			t.Fatalf("no handler for %s", tag)
		}
		h(src, args)
	}
	return s, host, req
}

func wantSent(t *testing.T, host *fakeGlobalHost, want ...[]any) {
	t.Helper()
	got := host.take()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("sent\n%#v\nwant\n%#v", got, want)
	}
}

func TestGlobalSlaveDatabaseReachesGlobalsAndMonitors(t *testing.T) {
	s, host, req := newTestGlobal(t)
	s.gGlobalSeen("g2", nil) // another global node announced itself
	req("m", "g_mon1", "svc")
	wantSent(t, host, []any{"m#", "g_chg1", "svc", nil}) // nothing known yet: null

	req("s", "g_slave", map[string]any{
		"svc": map[string]any{"s#p1": 1},
		"'l":  map[string]any{"s": []any{"10.0.0.1:4040"}},
	})
	// families in sorted order; a slave's change goes to every other
	// global node, and to the nodes monitoring the family
	wantSent(t, host,
		[]any{"g2#", "g_upd", "'l", map[string]any{"s": []any{"10.0.0.1:4040"}}, []any{}},
		[]any{"g2#", "g_upd", "svc", map[string]any{"s#p1": 1}, []any{}},
		[]any{"m#", "g_chg2", "svc", map[string]any{"s#p1": 1}, []any{}},
	)
	if got := host.addrs["s"]; !reflect.DeepEqual(got, []string{"10.0.0.1:4040"}) {
		t.Fatalf("address book has %v for s", got)
	}

	req("x", "g_find", "s")
	req("x", "g_find", "nobody")
	req("x", "g_db_keys", "svc", "7")
	req("x", "g_db_values", "svc", "8")
	req("x", "g_db_family", "none", "9")
	wantSent(t, host,
		[]any{"x#", "g_found", "s", []any{"10.0.0.1:4040"}},
		[]any{"x#", "g_found", "nobody", nil},
		[]any{"x#", "g_reply", "7", []any{"s#p1"}},
		[]any{"x#", "g_reply", "8", []any{1}},
		[]any{"x#", "g_reply", "9", map[string]any{}},
	)

	// a monitor that stops hears nothing more
	req("m", "g_mon0", "svc")
	req("s", "g_upd", "svc", map[string]any{"s#p2": 2})
	wantSent(t, host, []any{"g2#", "g_upd", "svc", map[string]any{"s#p2": 2}, []any{}})
}

func TestGlobalDeleteKeepsAnotherOwnersValue(t *testing.T) {
	s, host, req := newTestGlobal(t)
	s.gGlobalSeen("g2", nil)
	req("s", "g_slave", map[string]any{})
	req("m", "g_mon1", "f")
	host.take()

	// g2 (a global node, not our slave) and our slave s both set k
	req("g2", "g_upd", "f", map[string]any{"k": "from g2"})
	req("s", "g_upd", "f", map[string]any{"k": "from s"})
	wantSent(t, host,
		[]any{"m#", "g_chg2", "f", map[string]any{"k": "from g2"}, []any{}},
		[]any{"g2#", "g_upd", "f", map[string]any{"k": "from s"}, []any{}},
		[]any{"m#", "g_chg2", "f", map[string]any{"k": "from s"}, []any{}},
	)

	// s deletes k: g2's value comes back, g2 is told of the deletion
	req("s", "g_upd", "f", nil, []any{"k"})
	wantSent(t, host,
		[]any{"g2#", "g_upd", "f", map[string]any{}, []any{"k"}},
		[]any{"m#", "g_chg2", "f", map[string]any{"k": "from g2"}, []any{}},
	)
	if got := s.family("f")["k"]; got != "from g2" {
		t.Fatalf("global value of k is %v", got)
	}

	// g2 deletes it too: gone, and nobody else is told (not our slave)
	req("g2", "g_upd", "f", nil, []any{"k"})
	wantSent(t, host, []any{"m#", "g_chg2", "f", map[string]any{}, []any{"k"}})
	if f := s.family("f"); f != nil {
		t.Fatalf("family f still has %v", f)
	}
}

func TestGlobalSlaveGoingDownIsForgotten(t *testing.T) {
	s, host, req := newTestGlobal(t)
	req("s", "g_slave", map[string]any{"svc": map[string]any{"a": nil}})
	req("m", "g_mon1", "svc")
	req("s", "g_mon1", "svc")
	host.take()

	s.nodeEvent("s", false)
	// its entries leave the global database, then its monitors go; as in
	// Perl's g_disconnect the departed node itself is still told first
	wantSent(t, host,
		[]any{"m#", "g_chg2", "svc", map[string]any{}, []any{"a"}},
		[]any{"s#", "g_chg2", "svc", map[string]any{}, []any{"a"}},
	)
	if !reflect.DeepEqual(host.dbDels, [][]any{{"'g", []string{"s"}}, {"'l", []string{"s"}}}) {
		t.Fatalf("own database deletions %v", host.dbDels)
	}
	if _, ok := s.db.monitors["svc"]["s"]; ok {
		t.Fatal("a node that went down still monitors svc")
	}

	s.nodeEvent("n", true)
	wantSent(t, host, []any{"n#", "g_global"})
}

func TestGlobalNodesExchangeTheirSlavesDatabases(t *testing.T) {
	s, host, req := newTestGlobal(t)
	req("s", "g_slave", map[string]any{"svc": map[string]any{"a": 1}})
	host.take()

	// another global node greets us: it is recorded in our 'g and gets
	// the merged databases of our slaves
	req("g2", "g_global")
	wantSent(t, host, []any{"g2#", "g_set", map[string]any{"svc": map[string]any{"a": 1}}})

	// its database: merged, and its listeners mirrored into our own 'l
	req("g2", "g_set", map[string]any{"'l": map[string]any{"g2": []any{"10.0.0.2:4040"}}})
	want := [][]any{{"'g", "g2", nil}, {"'l", "g2", []any{"10.0.0.2:4040"}}}
	if !reflect.DeepEqual(host.dbSets, want) {
		t.Fatalf("own database sets %v, want %v", host.dbSets, want)
	}
	if !s.db.nodes["g2"] {
		t.Fatal("g2 not recorded as a global node")
	}
	// changes of another global node's entries are not forwarded to
	// other global nodes (only our slaves' are)
	wantSent(t, host)
}

func TestGlobalGreetsNodesAlreadyUp(t *testing.T) {
	s, host, _ := newTestGlobal(t)
	s.gGlobalSeen("g2", nil)
	s.greet([]string{"a", "g2"})
	wantSent(t, host,
		[]any{"a#", "g_global"},
		[]any{"g2#", "g_global"},
		[]any{"g2#", "g_set", map[string]any{}},
	)
}
