package node

import (
	"io"
	"log/slog"
	"reflect"
	"testing"
)

// The database client driven directly with a fake node: what it sends to
// the master, what it keeps for master switches, what its monitors see.

type fakeDBHost struct {
	master string
	sent   [][]any // port, msg...
	reqs   map[string][]any
	posted []func()
}

func (f *fakeDBHost) send(port string, msg ...any) {
	f.sent = append(f.sent, append([]any{port}, msg...))
}
func (f *fakeDBHost) masterID() string { return f.master }
func (f *fakeDBHost) globalReqAdd(id string, req []any) {
	if f.reqs == nil {
		f.reqs = map[string][]any{}
	}
	f.reqs[id] = req
}
func (f *fakeDBHost) globalReqDel(id string) { delete(f.reqs, id) }
func (f *fakeDBHost) post(fn func())         { f.posted = append(f.posted, fn) }

// runPosted runs what was posted, as the loop would later.
func (f *fakeDBHost) runPosted() {
	for len(f.posted) > 0 {
		fn := f.posted[0]
		f.posted = f.posted[1:]
		fn()
	}
}

func (f *fakeDBHost) take() [][]any {
	s := f.sent
	f.sent = nil
	return s
}

func newTestDB() (*dbClient, *fakeDBHost) {
	host := &fakeDBHost{master: "g"}
	return newDBClient(host, slog.New(slog.NewTextHandler(io.Discard, nil)), &nodeStats{}), host
}

// dbEvent is one call of a DBMon callback.
type dbEvent struct {
	keys                    []string
	added, changed, deleted []string
}

func recordMon(events *[]dbEvent) *dbMonitor {
	return &dbMonitor{cb: func(db map[string]any, a, c, d []string) {
		*events = append(*events, dbEvent{sortedKeys(db), a, c, d})
	}}
}

func TestDBClientSendsChangesToMaster(t *testing.T) {
	c, host := newTestDB()
	c.set("f", "k", 1)
	c.set("f", "k", "1") // the same value to Perl: nothing to tell
	c.set("f", "k", 2)
	c.del("f", []string{"k", "missing"})
	c.del("f", []string{"k"}) // nothing left to delete
	want := [][]any{
		{"g#", "g_upd", "f", map[string]any{"k": 1}},
		{"g#", "g_upd", "f", map[string]any{"k": 2}},
		{"g#", "g_upd", "f", nil, []any{"k"}},
	}
	if got := host.take(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}

	// without a master changes stay local; a new master gets them all
	host.master = ""
	c.set("f", "a", nil)
	c.set("h", "b", []any{"x"})
	if got := host.take(); len(got) != 0 {
		t.Fatalf("sent %v without a master", got)
	}
	snap := c.snapshot()
	if want := map[string]any{"f": map[string]any{"a": nil}, "h": map[string]any{"b": []any{"x"}}}; !reflect.DeepEqual(snap, want) {
		t.Fatalf("snapshot %v, want %v", snap, want)
	}
	snap["f"].(map[string]any)["a"] = "changed" // a copy: the client's own entries stay
	if v := c.local["f"]["a"]; v != nil {
		t.Fatalf("snapshot shares the local database: a is %v", v)
	}
}

func TestDBClientMonitorsFollowTheMaster(t *testing.T) {
	c, host := newTestDB()
	var ev1, ev2 []dbEvent
	m1, m2 := recordMon(&ev1), recordMon(&ev2)
	c.monitor("f", m1)
	if want := map[string][]any{"mon1 f": {"g_mon1", "f"}}; !reflect.DeepEqual(host.reqs, want) {
		t.Fatalf("requests kept for the master %v, want %v", host.reqs, want)
	}
	reqs := c.requests()

	// only the master's answers count
	reqs["g_chg1"]("other", []any{"f", map[string]any{"x": 1}})
	reqs["g_chg1"]("g", []any{"f", map[string]any{"a": 1, "b": 2}})
	reqs["g_chg2"]("g", []any{"f", map[string]any{"b": 3, "c": 4}, []any{"a"}})
	want := []dbEvent{
		{keys: []string{"a", "b"}, added: []string{"a", "b"}},
		{keys: []string{"b", "c"}, added: []string{"c"}, changed: []string{"b"}, deleted: []string{"a"}},
	}
	if !reflect.DeepEqual(ev1, want) {
		t.Fatalf("monitor saw %+v, want %+v", ev1, want)
	}

	// a second monitor gets the current state later, and only once
	c.monitor("f", m2)
	if len(ev2) != 0 {
		t.Fatal("second monitor called at once")
	}
	host.runPosted()
	if want := []dbEvent{{keys: []string{"b", "c"}, added: []string{"b", "c"}}}; !reflect.DeepEqual(ev2, want) {
		t.Fatalf("second monitor saw %+v, want %+v", ev2, want)
	}

	// a full state from a new master replaces what we had
	host.master = "g2"
	reqs["g_chg1"]("g2", []any{"f", map[string]any{"c": 4, "d": 5}})
	if got := ev1[len(ev1)-1]; !reflect.DeepEqual(got, dbEvent{keys: []string{"c", "d"}, added: []string{"d"}, changed: []string{"c"}, deleted: []string{"b"}}) {
		t.Fatalf("after g_chg1 from the new master: %+v", got)
	}

	// the last monitor to stop tells the master and forgets the family
	host.take()
	c.unmonitor("f", m1)
	if got := host.take(); len(got) != 0 {
		t.Fatalf("stopping one of two monitors sent %v", got)
	}
	c.unmonitor("f", m2)
	if got, want := host.take(), [][]any{{"g2#", "g_mon0", "f"}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("sent %v, want %v", got, want)
	}
	if len(host.reqs) != 0 || c.mon["f"] != nil {
		t.Fatalf("family still monitored: requests %v, copy %v", host.reqs, c.mon["f"])
	}
	n := len(ev2)
	reqs["g_chg2"]("g2", []any{"f", map[string]any{"z": 1}})
	if len(ev2) != n {
		t.Fatal("a stopped monitor was called")
	}
}

func TestDBClientStoppedBeforePostponedState(t *testing.T) {
	c, host := newTestDB()
	var ev1, ev2 []dbEvent
	m1, m2 := recordMon(&ev1), recordMon(&ev2)
	c.monitor("f", m1)
	c.monitor("f", m2)
	c.unmonitor("f", m2)
	host.runPosted()
	if len(ev2) != 0 {
		t.Fatalf("monitor stopped before its first state was called: %+v", ev2)
	}
}

func TestDBClientMonitorPanicIsContained(t *testing.T) {
	c, _ := newTestDB()
	var ev []dbEvent
	c.monitor("f", &dbMonitor{cb: func(map[string]any, []string, []string, []string) { panic("boom") }})
	c.monitor("f", recordMon(&ev))
	c.requests()["g_chg2"]("g", []any{"f", map[string]any{"a": 1}})
	if len(ev) != 1 {
		t.Fatalf("the monitor after a panicking one saw %+v", ev)
	}
}
