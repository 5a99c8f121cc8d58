package node

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"regexp"

	"github.com/aemp-go/aemp-go/protocol"
)

// The distributed database, node side (Kernel.pm "local database
// operations"): every node keeps its own entries (LOCAL_DB) and tells its
// master about changes; queries and monitors go to the master.

// dbClient is the database client: this node's own entries and its
// copies of monitored families. It reaches the node only through dbHost
// (subsys.go) and belongs to the dispatch goroutine.
type dbClient struct {
	host     dbHost
	log      *slog.Logger // for panics of DBMon callbacks
	stats    *nodeStats
	local    map[string]map[string]any // LOCAL_DB: what this node set
	mon      map[string]map[string]any // MON_DB: copies of monitored families
	monitors map[string][]*dbMonitor   // LOCAL_MON
}

func newDBClient(host dbHost, log *slog.Logger, stats *nodeStats) *dbClient {
	return &dbClient{host: host, log: log, stats: stats,
		local: map[string]map[string]any{}, mon: map[string]map[string]any{}, monitors: map[string][]*dbMonitor{}}
}

// requests is the client's part of %NODE_REQ: the master's answers to
// db_mon.
func (c *dbClient) requests() map[string]nodeRequest {
	return map[string]nodeRequest{"g_chg1": c.gChg1, "g_chg2": c.gChg2}
}

type dbMonitor struct {
	cb func(db map[string]any, added, changed, deleted []string)
}

// DBMonFunc is the callback of DBMon: the whole family as this node knows
// it, and the keys added, changed and deleted by this change. The map and
// slices belong to the node: copy what you keep.
type DBMonFunc func(family map[string]any, added, changed, deleted []string)

var familyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_:]*$`)

// checkFamily enforces the family names MP.pm documents
// ([A-Za-z][A-Za-z0-9_:]*); Perl documents but does not check them. The
// internal families "'l" and "'g" are not for applications.
func checkFamily(family string) error {
	if !familyRE.MatchString(family) {
		return fmt.Errorf("aemp: %q is not a valid database family name ([A-Za-z][A-Za-z0-9_:]*)", family)
	}
	return nil
}

// sameValue is Kernel.pm's sv_eq: scalars compare as strings (and
// definedness), references by their JSON encoding.
func sameValue(a, b any) bool {
	switch a.(type) {
	case []any, map[string]any, []string, map[string]string:
		return jsonEq(a, b)
	}
	switch b.(type) {
	case []any, map[string]any, []string, map[string]string:
		return jsonEq(a, b)
	}
	if (a == nil) != (b == nil) {
		return false
	}
	as, _ := protocol.PerlString(a)
	bs, _ := protocol.PerlString(b)
	return as == bs
}

func jsonEq(a, b any) bool {
	ea, err1 := protocol.AppendJSON(nil, protocol.Message{Data: []any{a}})
	eb, err2 := protocol.AppendJSON(nil, protocol.Message{Data: []any{b}})
	return err1 == nil && err2 == nil && bytes.Equal(ea, eb)
}

// DBSet sets family/key to value in this node's part of the database and
// returns a guard that deletes it again (Perl's db_set).
func (n *Node) DBSet(family, key string, value any) (*Guard, error) {
	if err := checkFamily(family); err != nil {
		return nil, err
	}
	if key == "" {
		return nil, fmt.Errorf("aemp: database keys must be non-empty strings")
	}
	if n.closed() {
		return nil, ErrClosed
	}
	n.loop.post(item{fn: func() { n.db.set(family, key, value) }})
	return newGuard(func() { n.DBDel(family, key) }), nil
}

// DBDel deletes keys of this node's part of a family (Perl's db_del).
func (n *Node) DBDel(family string, keys ...string) {
	keys = append([]string(nil), keys...)
	n.loop.post(item{fn: func() { n.db.del(family, keys) }})
}

// dbSet and dbDel are the global service's way into this node's own
// database (globalHost).
func (n *Node) dbSet(family, key string, value any) { n.db.set(family, key, value) }
func (n *Node) dbDel(family string, keys []string)  { n.db.del(family, keys) }

// set is db_set on the dispatch goroutine: a changed value goes to the
// master at once (g_upd).
func (c *dbClient) set(family, key string, value any) {
	defer c.stats.noteLocalDB(c.local)
	f := c.local[family]
	if f == nil {
		f = map[string]any{}
		c.local[family] = f
	}
	if old, ok := f[key]; ok && sameValue(old, value) {
		return
	}
	f[key] = value
	if m := c.host.masterID(); m != "" {
		c.host.send(m+"#", "g_upd", family, map[string]any{key: value})
	}
}

// del is db_del: the keys that existed are deleted at the master too.
func (c *dbClient) del(family string, keys []string) {
	defer c.stats.noteLocalDB(c.local)
	f := c.local[family]
	var del []any
	for _, k := range keys {
		if _, ok := f[k]; ok {
			delete(f, k)
			del = append(del, k)
		}
	}
	if len(f) == 0 {
		delete(c.local, family)
	}
	if len(del) == 0 {
		return
	}
	if m := c.host.masterID(); m != "" {
		c.host.send(m+"#", "g_upd", family, nil, del)
	}
}

// snapshot copies this node's own database for a new master (g_slave).
func (c *dbClient) snapshot() map[string]any {
	db := make(map[string]any, len(c.local))
	for f, m := range c.local {
		db[f] = maps.Clone(m)
	}
	return db
}

// DBReg registers a port in a family (value may be nil) and removes it
// again when the port dies (Perl's db_reg). The guard deletes the entry;
// as in Perl it does not stop the monitor.
func (n *Node) DBReg(family, port string, value any) (*Guard, error) {
	if err := checkFamily(family); err != nil {
		return nil, err
	}
	if _, err := n.MonFunc(port, func([]any) { n.DBDel(family, port) }); err != nil {
		return nil, err
	}
	return n.DBSet(family, port, value)
}

// DBFamilyFunc asks the master for a whole family; cb runs on the
// dispatch goroutine.
func (n *Node) DBFamilyFunc(family string, cb func(map[string]any)) {
	n.globalCall([]any{"g_db_family", family}, func(args []any) {
		m, _ := firstArg(args).(map[string]any)
		if m == nil {
			m = map[string]any{}
		}
		cb(m)
	})
}

// DBKeysFunc asks the master for the keys of a family.
func (n *Node) DBKeysFunc(family string, cb func([]string)) {
	n.globalCall([]any{"g_db_keys", family}, func(args []any) {
		l, _ := firstArg(args).([]any)
		keys := make([]string, 0, len(l))
		for _, k := range l {
			s, _ := protocol.PerlString(k)
			keys = append(keys, s)
		}
		cb(keys)
	})
}

// DBValuesFunc asks the master for the values of a family.
func (n *Node) DBValuesFunc(family string, cb func([]any)) {
	n.globalCall([]any{"g_db_values", family}, func(args []any) {
		l, _ := firstArg(args).([]any)
		cb(l)
	})
}

func firstArg(args []any) any {
	if len(args) == 0 {
		return nil
	}
	return args[0]
}

// wait runs an asynchronous query and waits for its answer or ctx. Not
// for use inside handlers (the answer is delivered by the goroutine that
// runs them).
func wait[T any](n *Node, ctx context.Context, what string, start func(cb func(T))) (T, error) {
	var zero T
	if n.closed() {
		return zero, ErrClosed
	}
	ch := make(chan T, 1)
	start(func(v T) { ch <- v })
	select {
	case v := <-ch:
		return v, nil
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-n.ctx.Done():
		return zero, fmt.Errorf("%w while waiting for %s", ErrClosed, what)
	}
}

// DBFamily returns a family as the master knows it. Keys and values are
// those of every node's entries, merged.
func (n *Node) DBFamily(ctx context.Context, family string) (map[string]any, error) {
	return wait(n, ctx, "db_family "+family, func(cb func(map[string]any)) { n.DBFamilyFunc(family, cb) })
}

// DBKeys returns the keys of a family (in the master's order).
func (n *Node) DBKeys(ctx context.Context, family string) ([]string, error) {
	return wait(n, ctx, "db_keys "+family, func(cb func([]string)) { n.DBKeysFunc(family, cb) })
}

// DBValues returns the values of a family.
func (n *Node) DBValues(ctx context.Context, family string) ([]any, error) {
	return wait(n, ctx, "db_values "+family, func(cb func([]any)) { n.DBValuesFunc(family, cb) })
}

// DBMon monitors a family (Perl's db_mon): cb is called as soon as possible
// with the current contents, even when empty, and then on every change.
// cb runs on the dispatch goroutine. Stop the guard to end monitoring.
func (n *Node) DBMon(family string, cb DBMonFunc) *Guard {
	m := &dbMonitor{cb: cb}
	n.loop.post(item{fn: func() { n.db.monitor(family, m) }})
	return newGuard(func() { n.loop.post(item{fn: func() { n.db.unmonitor(family, m) }}) })
}

// monitor is db_mon on the dispatch goroutine: the first monitor of a
// family asks the master for it (g_mon1, kept across master switches).
func (c *dbClient) monitor(family string, m *dbMonitor) {
	if db, ok := c.mon[family]; ok {
		// Already monitored: give the newcomer the current state, later
		// (Perl postpones it too), unless it was stopped meanwhile.
		c.monitors[family] = append(c.monitors[family], m)
		c.host.post(func() {
			if !containsMon(c.monitors[family], m) {
				return
			}
			m.cb(db, sortedKeys(db), nil, nil)
		})
		return
	}
	c.monitors[family] = append(c.monitors[family], m)
	c.mon[family] = map[string]any{}
	c.host.globalReqAdd("mon1 "+family, []any{"g_mon1", family})
}

// unmonitor ends one monitor; the last one of a family tells the master
// (g_mon0) and forgets the family.
func (c *dbClient) unmonitor(family string, m *dbMonitor) {
	l := c.monitors[family]
	for i, e := range l {
		if e == m {
			l = append(l[:i:i], l[i+1:]...)
			break
		}
	}
	if len(l) > 0 {
		c.monitors[family] = l
		return
	}
	c.host.globalReqDel("mon1 " + family)
	if master := c.host.masterID(); master != "" {
		c.host.send(master+"#", "g_mon0", family)
	}
	delete(c.monitors, family)
	delete(c.mon, family)
}

func containsMon(l []*dbMonitor, m *dbMonitor) bool {
	for _, e := range l {
		if e == m {
			return true
		}
	}
	return false
}

// gChg1: ["", "g_chg1", family, {db}|null] is the full state of a family
// we started to monitor; only our master's answers count.
func (c *dbClient) gChg1(src string, args []any) {
	if src != c.host.masterID() {
		return
	}
	family := argString(args, 0)
	ndb, _ := firstArg(args[min(1, len(args)):]).(map[string]any)
	db := c.mon[family]
	if db == nil {
		return // no longer monitored
	}
	added, changed := mergeSet(db, ndb)
	var deleted []string
	for _, k := range sortedKeys(db) {
		if _, ok := ndb[k]; !ok {
			delete(db, k)
			deleted = append(deleted, k)
		}
	}
	c.notify(family, db, added, changed, deleted)
}

// gChg2: ["", "g_chg2", family, {set}, [deleted]] is an incremental change.
func (c *dbClient) gChg2(src string, args []any) {
	if src != c.host.masterID() {
		return
	}
	family := argString(args, 0)
	db := c.mon[family]
	if db == nil {
		return
	}
	set, _ := firstArg(args[min(1, len(args)):]).(map[string]any)
	added, changed := mergeSet(db, set)
	var deleted []string
	if len(args) > 2 {
		if l, ok := args[2].([]any); ok {
			for _, d := range l {
				k, _ := protocol.PerlString(d)
				delete(db, k)
				deleted = append(deleted, k)
			}
		}
	}
	c.notify(family, db, added, changed, deleted)
}

// mergeSet copies set into db and tells which keys were new and which
// were replaced.
func mergeSet(db, set map[string]any) (added, changed []string) {
	for _, k := range sortedKeys(set) {
		if _, ok := db[k]; ok {
			changed = append(changed, k)
		} else {
			added = append(added, k)
		}
		db[k] = set[k]
	}
	return added, changed
}

func (c *dbClient) notify(family string, db map[string]any, added, changed, deleted []string) {
	for _, m := range append([]*dbMonitor(nil), c.monitors[family]...) {
		func() {
			defer func() {
				if r := recover(); r != nil {
					c.log.Error("db_mon callback panicked", "family", family, "err", r)
				}
			}()
			m.cb(db, added, changed, deleted)
		}()
	}
}

// GrpReg, GrpMon and GrpGet are AEMP 1.x's port group calls, which 2.x
// keeps as thin wrappers over the database (Global.pm).

// GrpReg registers port in group (db_reg with no value).
func (n *Node) GrpReg(group, port string) (*Guard, error) { return n.DBReg(group, port, nil) }

// GrpMon calls cb with the ports of a group and the ports added and
// removed, on every change.
func (n *Node) GrpMon(group string, cb func(ports, added, deleted []string)) *Guard {
	return n.DBMon(group, func(db map[string]any, a, _, d []string) { cb(sortedKeys(db), a, d) })
}

// GrpGet returns the ports of a group as this node's copy of the global
// database has them: like Perl's grp_get it only knows anything on a
// global node (elsewhere use DBKeys or GrpMon). nil means none.
func (n *Node) GrpGet(ctx context.Context, group string) ([]string, error) {
	return wait(n, ctx, "grp_get "+group, func(cb func([]string)) {
		n.loop.post(item{fn: func() {
			if f := n.global.family(group); len(f) > 0 {
				cb(sortedKeys(f))
				return
			}
			cb(nil)
		}})
	})
}
