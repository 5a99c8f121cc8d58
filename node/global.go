package node

import (
	"maps"
	"sort"
	"sync/atomic"

	"github.com/aemp-go/aemp-go/protocol"
)

// The global service (Global.pm): global nodes keep the merged database of
// all nodes, answer address lookups and database queries for their slaves,
// push changes to monitoring slaves and mirror everything among
// themselves. A node becomes global when it finds its own address among
// its seeds, or when another node asks it to be its master (g_slave).
// All of it runs on the dispatch goroutine.

// globalDB is owned by the dispatch goroutine.
type globalDB struct {
	global   map[string]map[string]any            // GLOBAL_DB: all local databases merged
	locals   map[string]map[string]map[string]any // LOCAL_DBS: node -> family -> entries
	slaves   map[string]map[string]bool           // GLOBAL_SLAVE: slave -> families it monitors
	monitors map[string]map[string]bool           // GLOBAL_MON: family -> monitoring nodes
	nodes    map[string]bool                      // GLOBAL_NODE: other global nodes
}

// Internal database families.
const (
	familyListeners = "'l" // node ID -> its listener addresses
	familyGlobals   = "'g" // global node IDs -> null
)

// globalService is the global service's state and its node-port
// requests (the g_* handlers). It reaches the node only through
// globalHost (subsys.go). Everything but running belongs to the dispatch
// goroutine; gGlobalSeen and forget are used on every node, the rest only
// once the service runs.
type globalService struct {
	host    globalHost
	stats   *nodeStats
	db      globalDB
	running atomic.Bool // this node runs the global service; read from any goroutine (isGlobal)
}

func newGlobalService(host globalHost, stats *nodeStats) *globalService {
	return &globalService{host: host, stats: stats, db: globalDB{
		global:   map[string]map[string]any{},
		locals:   map[string]map[string]map[string]any{},
		slaves:   map[string]map[string]bool{},
		monitors: map[string]map[string]bool{},
		nodes:    map[string]bool{},
	}}
}

// requests is the service's part of %NODE_REQ, installed when the node
// becomes global (it overrides the kernel's g_slave and g_global).
func (s *globalService) requests() map[string]nodeRequest {
	return map[string]nodeRequest{
		"g_slave":     s.gSlave,
		"g_set":       s.gSet,
		"g_upd":       s.gUpdRequest,
		"g_find":      s.gFind,
		"g_db_family": s.gDBFamily,
		"g_db_keys":   s.gDBKeys,
		"g_db_values": s.gDBValues,
		"g_mon0":      s.gMon0,
		"g_mon1":      s.gMon1,
		"g_global":    s.gGlobal,
	}
}

// becomeGlobal switches this node into global mode (Global.pm's
// post_configure block). It is idempotent.
func (n *Node) becomeGlobal() {
	if !n.global.running.CompareAndSwap(false, true) {
		return
	}
	n.log.Info("starting global service")
	for tag, h := range n.global.requests() {
		n.reqs[tag] = h
	}
	n.MonNodes(func(id string, up bool, _ []any) { n.global.nodeEvent(id, up) })

	// Global nodes are their own masters: this re-sends queued global
	// requests to ourselves and hands our local database to the service.
	n.seeds.masterSet(n.id)
	n.dbSet(familyGlobals, n.id, nil)
	n.global.greet(n.UpNodes())
	// keep connections to every global node we learn of
	n.db.monitor(familyGlobals, &dbMonitor{cb: func(_ map[string]any, added, _, deleted []string) {
		for _, id := range added {
			n.seeds.keepaliveAdd(id)
		}
		for _, id := range deleted {
			n.seeds.keepaliveDel(id)
		}
	}})
}

// nodeEvent is the service's mon_nodes callback: tell every node that
// comes up that we are a global node, forget every node that goes.
func (s *globalService) nodeEvent(id string, up bool) {
	if up {
		s.host.send(id+"#", "g_global")
	} else {
		s.gDisconnect(id)
	}
}

// greet announces the service to the nodes already up, and greets the
// global nodes among them, when the service starts.
func (s *globalService) greet(up []string) {
	for _, id := range up {
		s.host.send(id+"#", "g_global")
		if s.db.nodes[id] {
			s.gGlobalConnect(id)
		}
	}
}

// gGlobalSeen: a global node announces itself; a node that does not run
// the service only records it (the kernel's g_global).
func (s *globalService) gGlobalSeen(src string, _ []any) { s.db.nodes[src] = true }

// forget drops a node that went down from the known global nodes.
func (s *globalService) forget(id string) { delete(s.db.nodes, id) }

// family returns the global database's entries of a family (nil when
// there are none); the caller must not change them.
func (s *globalService) family(f string) map[string]any { return s.db.global[f] }

// gGlobal: ["", "g_global"] from another global node, on a global node.
func (s *globalService) gGlobal(src string, _ []any) {
	s.gDisconnect(src) // usually nothing, but not when a normal node became global
	s.db.nodes[src] = true
	s.gGlobalConnect(src)
}

// gUpdRequest: ["", "g_upd", family, {set}, [deleted]] from a slave or
// another global node.
func (s *globalService) gUpdRequest(src string, args []any) {
	set, _ := firstArg(args[min(1, len(args)):]).(map[string]any)
	var del []string
	if len(args) > 2 {
		del = stringList(args[2])
	}
	s.gUpd(src, argString(args, 0), set, del)
}

// gFind: ["", "g_find", node] asks for a node's listener addresses; the
// answer is g_found with them, or null.
func (s *globalService) gFind(src string, args []any) {
	id := argString(args, 0)
	var addrs any
	if a, ok := s.db.global[familyListeners][id]; ok {
		addrs = a
	}
	s.host.send(src+"#", "g_found", id, addrs)
}

// gDBFamily, gDBKeys, gDBValues answer db_family, db_keys and db_values
// with g_reply and the request id.
//
// gDBFamily answers with a copy of the family: the answer to this node
// itself is delivered without being encoded, and the service goes on
// changing its own map (as in gMon1).
func (s *globalService) gDBFamily(src string, args []any) {
	f := maps.Clone(s.db.global[argString(args, 0)])
	if f == nil {
		f = map[string]any{} // Perl: $GLOBAL_DB{$family} || {}
	}
	s.host.send(src+"#", "g_reply", argAt(args, 1), f)
}

func (s *globalService) gDBKeys(src string, args []any) {
	f := s.db.global[argString(args, 0)]
	keys := make([]any, 0, len(f))
	for _, k := range sortedKeys(f) {
		keys = append(keys, k)
	}
	s.host.send(src+"#", "g_reply", argAt(args, 1), keys)
}

func (s *globalService) gDBValues(src string, args []any) {
	f := s.db.global[argString(args, 0)]
	vals := make([]any, 0, len(f))
	for _, k := range sortedKeys(f) {
		vals = append(vals, f[k])
	}
	s.host.send(src+"#", "g_reply", argAt(args, 1), vals)
}

// gMon0: ["", "g_mon0", family] ends a slave's monitoring of a family.
func (s *globalService) gMon0(src string, args []any) {
	f := argString(args, 0)
	delete(s.db.monitors[f], src)
	if len(s.db.monitors[f]) == 0 {
		delete(s.db.monitors, f)
	}
	delete(s.db.slaves[src], f)
}

// gMon1: ["", "g_mon1", family] starts it; the slave gets the family's
// full state at once (g_chg1), then every change (g_chg2).
func (s *globalService) gMon1(src string, args []any) {
	f := argString(args, 0)
	if s.db.slaves[src] == nil {
		s.db.slaves[src] = map[string]bool{}
	}
	s.db.slaves[src][f] = true
	if s.db.monitors[f] == nil {
		s.db.monitors[f] = map[string]bool{}
	}
	s.db.monitors[f][src] = true
	var db any
	if g := s.db.global[f]; g != nil {
		db = maps.Clone(g) // see gDBFamily
	}
	s.host.send(src+"#", "g_chg1", f, db)
}

func argAt(args []any, i int) any {
	if i < len(args) {
		return args[i]
	}
	return nil
}

func stringList(v any) []string {
	l, _ := v.([]any)
	out := make([]string, 0, len(l))
	for _, e := range l {
		s, _ := protocol.PerlString(e)
		out = append(out, s)
	}
	return out
}

// gSlave: ["", "g_slave", {db}] makes us the sender's master. Without a
// database it only starts the global service.
func (s *globalService) gSlave(src string, args []any) {
	defer s.stats.noteGlobalDB(&s.db)
	if len(args) == 0 {
		return
	}
	db, _ := args[0].(map[string]any)
	s.db.slaves[src] = map[string]bool{}
	s.gSetDB(src, db)
}

// gSet: ["", "g_set", {db}] is another global node's database (the merged
// databases of its slaves). Its 'l entry is mirrored into our own local
// database, so global nodes always find each other.
func (s *globalService) gSet(src string, args []any) {
	db, _ := firstArg(args).(map[string]any)
	var binds any
	if l, ok := db[familyListeners].(map[string]any); ok {
		binds = l[src]
	}
	s.gSetDB(src, db)
	s.host.dbSet(familyListeners, src, binds)
}

func (s *globalService) gSetDB(src string, db map[string]any) {
	for _, f := range sortedKeys(db) {
		set, _ := db[f].(map[string]any)
		s.gUpd(src, f, set, nil)
	}
}

// gUpd is Global.pm's g_upd: merge a change of node's entries of family
// into the global database, with its ownership rules, then tell the other
// global nodes (for our slaves' changes) and the monitoring nodes.
//
// A key can be set by several nodes. Deleting it for one node keeps the
// value of another owner: a slave's value wins over another global node's.
func (s *globalService) gUpd(node, family string, set map[string]any, del []string) {
	defer s.stats.noteGlobalDB(&s.db)
	if set == nil {
		set = map[string]any{}
	}
	if s.db.locals[node] == nil {
		s.db.locals[node] = map[string]map[string]any{}
	}
	ldb := s.db.locals[node][family]
	if ldb == nil {
		ldb = map[string]any{}
		s.db.locals[node][family] = ldb
	}
	gdb := s.db.global[family]
	if gdb == nil {
		gdb = map[string]any{}
		s.db.global[family] = gdb
	}
	for k, v := range set {
		ldb[k] = v
		gdb[k] = v
	}
	_, isSlave := s.db.slaves[node]
	localSet := map[string]any{}
	delLocal, delGlobal := []any{}, []any{}
	for _, k := range del {
		delete(ldb, k)
		var others []string
		for _, o := range sortedKeys(s.db.locals) {
			if _, ok := s.db.locals[o][family][k]; ok {
				others = append(others, o)
			}
		}
		if len(others) > 0 {
			local := ""
			for _, o := range others {
				if _, ok := s.db.slaves[o]; ok {
					local = o
					break
				}
			}
			if local != "" {
				v := s.db.locals[local][family][k]
				if !sameValue(gdb[k], v) {
					set[k] = v
					gdb[k] = v
				}
			} else {
				global := others[0]
				delGlobal = append(delGlobal, k)
				v := s.db.locals[global][family][k]
				if !sameValue(gdb[k], v) {
					localSet[k] = v
					gdb[k] = v
				}
			}
		} else {
			delete(gdb, k)
			delLocal = append(delLocal, k)
			if isSlave {
				delGlobal = append(delGlobal, k)
			}
		}
	}
	if len(gdb) == 0 {
		delete(s.db.global, family)
	}
	if len(ldb) == 0 {
		delete(s.db.locals[node], family)
	}
	if family == familyListeners {
		s.syncAddrs(gdb)
	}
	if isSlave && (len(set) > 0 || len(delGlobal) > 0) {
		for _, g := range sortedKeys(s.db.nodes) {
			s.host.send(g+"#", "g_upd", family, set, delGlobal)
		}
	}
	if len(set) > 0 || len(localSet) > 0 || len(delLocal) > 0 {
		// Perl adds local_set to the very hash it just broadcast, which
		// is safe there because a connected snd encodes at once. A copy
		// keeps a g_upd that waits in a connection queue as Perl sends it.
		chg := set
		if len(localSet) > 0 {
			chg = maps.Clone(set)
			maps.Copy(chg, localSet)
		}
		for _, m := range sortedKeys(s.db.monitors[family]) {
			s.host.send(m+"#", "g_chg2", family, chg, delLocal)
		}
	}
}

// syncAddrs mirrors GLOBAL_DB{'l} into the address book the connection
// code reads (Node.pm connect reads GLOBAL_DB directly).
func (s *globalService) syncAddrs(l map[string]any) {
	self := s.host.ID()
	for _, id := range sortedKeys(l) {
		if id == self {
			continue
		}
		if addrs := stringList(l[id]); len(addrs) > 0 {
			s.host.AddAddress(id, addrs...)
		}
	}
}

// gClr removes every entry of a node (g_clr).
func (s *globalService) gClr(node string) {
	db := s.db.locals[node]
	for _, f := range sortedKeys(db) {
		keys := make([]string, 0, len(db[f]))
		for k := range db[f] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		s.gUpd(node, f, nil, keys)
	}
	delete(s.db.locals, node)
}

// gDisconnect forgets a node that went down: its entries, its global node
// status and its monitors.
func (s *globalService) gDisconnect(node string) {
	defer s.stats.noteGlobalDB(&s.db)
	delete(s.db.nodes, node)
	s.host.dbDel(familyGlobals, []string{node})
	s.host.dbDel(familyListeners, []string{node})
	s.gClr(node)
	if mon, ok := s.db.slaves[node]; ok {
		delete(s.db.slaves, node)
		for f := range mon {
			delete(s.db.monitors[f], node)
			if len(s.db.monitors[f]) == 0 {
				delete(s.db.monitors, f)
			}
		}
	}
}

// gGlobalConnect greets another global node: record it in 'g and send it
// the merged databases of our slaves.
func (s *globalService) gGlobalConnect(node string) {
	s.host.dbSet(familyGlobals, node, nil)
	db := map[string]any{}
	for _, slave := range sortedKeys(s.db.locals) {
		if _, ok := s.db.slaves[slave]; !ok {
			continue
		}
		for f, fv := range s.db.locals[slave] {
			m, _ := db[f].(map[string]any)
			if m == nil {
				m = map[string]any{}
				db[f] = m
			}
			for k, v := range fv {
				m[k] = v
			}
		}
	}
	s.host.send(node+"#", "g_set", db)
}
