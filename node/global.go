package node

import (
	"sort"

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

// becomeGlobal switches this node into global mode (Global.pm's
// post_configure block). It is idempotent.
func (n *Node) becomeGlobal() {
	n.mu.Lock()
	if n.g.global {
		n.mu.Unlock()
		return
	}
	n.g.global = true
	n.mu.Unlock()
	n.log.Info("starting global service")

	n.reqs["g_slave"] = n.gSlave
	n.reqs["g_set"] = n.gSet
	n.reqs["g_upd"] = func(src string, args []any) {
		set, _ := firstArg(args[min(1, len(args)):]).(map[string]any)
		var del []string
		if len(args) > 2 {
			del = stringList(args[2])
		}
		n.gUpd(src, argString(args, 0), set, del)
	}
	n.reqs["g_find"] = func(src string, args []any) {
		id := argString(args, 0)
		var addrs any
		if a, ok := n.gdb.global[familyListeners][id]; ok {
			addrs = a
		}
		n.Snd(src+"#", "g_found", id, addrs)
	}
	n.reqs["g_db_family"] = func(src string, args []any) {
		f := n.gdb.global[argString(args, 0)]
		if f == nil {
			f = map[string]any{}
		}
		n.Snd(src+"#", "g_reply", argAt(args, 1), f)
	}
	n.reqs["g_db_keys"] = func(src string, args []any) {
		f := n.gdb.global[argString(args, 0)]
		keys := make([]any, 0, len(f))
		for _, k := range sortedKeys(f) {
			keys = append(keys, k)
		}
		n.Snd(src+"#", "g_reply", argAt(args, 1), keys)
	}
	n.reqs["g_db_values"] = func(src string, args []any) {
		f := n.gdb.global[argString(args, 0)]
		vals := make([]any, 0, len(f))
		for _, k := range sortedKeys(f) {
			vals = append(vals, f[k])
		}
		n.Snd(src+"#", "g_reply", argAt(args, 1), vals)
	}
	n.reqs["g_mon0"] = func(src string, args []any) {
		f := argString(args, 0)
		delete(n.gdb.monitors[f], src)
		if len(n.gdb.monitors[f]) == 0 {
			delete(n.gdb.monitors, f)
		}
		delete(n.gdb.slaves[src], f)
	}
	n.reqs["g_mon1"] = func(src string, args []any) {
		f := argString(args, 0)
		if n.gdb.slaves[src] == nil {
			n.gdb.slaves[src] = map[string]bool{}
		}
		n.gdb.slaves[src][f] = true
		if n.gdb.monitors[f] == nil {
			n.gdb.monitors[f] = map[string]bool{}
		}
		n.gdb.monitors[f][src] = true
		var db any
		if g := n.gdb.global[f]; g != nil {
			db = g
		}
		n.Snd(src+"#", "g_chg1", f, db)
	}
	// overrides the kernel's g_global
	n.reqs["g_global"] = func(src string, args []any) {
		n.gDisconnect(src) // usually nothing, but not when a normal node became global
		n.gdb.nodes[src] = true
		n.gGlobalConnect(src)
	}

	n.MonNodes(func(id string, up bool, _ []any) {
		if up {
			n.Snd(id+"#", "g_global") // tell everybody we are a global node
		} else {
			n.gDisconnect(id)
		}
	})

	// Global nodes are their own masters: this re-sends queued global
	// requests to ourselves and hands our local database to the service.
	n.masterSet(n.id)
	n.dbSet(familyGlobals, n.id, nil)
	for _, id := range n.UpNodes() {
		n.Snd(id+"#", "g_global")
		if n.gdb.nodes[id] {
			n.gGlobalConnect(id)
		}
	}
	// keep connections to every global node we learn of
	n.dbMon(familyGlobals, &dbMonitor{cb: func(_ map[string]any, added, _, deleted []string) {
		for _, id := range added {
			n.keepaliveAdd(id)
		}
		for _, id := range deleted {
			n.keepaliveDel(id)
		}
	}})
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
func (n *Node) gSlave(src string, args []any) {
	defer n.stats.noteGlobalDB(&n.gdb)
	if len(args) == 0 {
		return
	}
	db, _ := args[0].(map[string]any)
	n.gdb.slaves[src] = map[string]bool{}
	n.gSetDB(src, db)
}

// gSet: ["", "g_set", {db}] is another global node's database (the merged
// databases of its slaves). Its 'l entry is mirrored into our own local
// database, so global nodes always find each other.
func (n *Node) gSet(src string, args []any) {
	db, _ := firstArg(args).(map[string]any)
	var binds any
	if l, ok := db[familyListeners].(map[string]any); ok {
		binds = l[src]
	}
	n.gSetDB(src, db)
	n.dbSet(familyListeners, src, binds)
}

func (n *Node) gSetDB(src string, db map[string]any) {
	for _, f := range sortedKeys(db) {
		set, _ := db[f].(map[string]any)
		n.gUpd(src, f, set, nil)
	}
}

// gUpd is Global.pm's g_upd: merge a change of node's entries of family
// into the global database, with its ownership rules, then tell the other
// global nodes (for our slaves' changes) and the monitoring nodes.
//
// A key can be set by several nodes. Deleting it for one node keeps the
// value of another owner: a slave's value wins over another global node's.
func (n *Node) gUpd(node, family string, set map[string]any, del []string) {
	defer n.stats.noteGlobalDB(&n.gdb)
	if set == nil {
		set = map[string]any{}
	}
	if n.gdb.locals[node] == nil {
		n.gdb.locals[node] = map[string]map[string]any{}
	}
	ldb := n.gdb.locals[node][family]
	if ldb == nil {
		ldb = map[string]any{}
		n.gdb.locals[node][family] = ldb
	}
	gdb := n.gdb.global[family]
	if gdb == nil {
		gdb = map[string]any{}
		n.gdb.global[family] = gdb
	}
	for k, v := range set {
		ldb[k] = v
		gdb[k] = v
	}
	_, isSlave := n.gdb.slaves[node]
	localSet := map[string]any{}
	delLocal, delGlobal := []any{}, []any{}
	for _, k := range del {
		delete(ldb, k)
		var others []string
		for _, o := range sortedKeys(n.gdb.locals) {
			if _, ok := n.gdb.locals[o][family][k]; ok {
				others = append(others, o)
			}
		}
		if len(others) > 0 {
			local := ""
			for _, o := range others {
				if _, ok := n.gdb.slaves[o]; ok {
					local = o
					break
				}
			}
			if local != "" {
				v := n.gdb.locals[local][family][k]
				if !sameValue(gdb[k], v) {
					set[k] = v
					gdb[k] = v
				}
			} else {
				global := others[0]
				delGlobal = append(delGlobal, k)
				v := n.gdb.locals[global][family][k]
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
		delete(n.gdb.global, family)
	}
	if len(ldb) == 0 {
		delete(n.gdb.locals[node], family)
	}
	if family == familyListeners {
		n.syncAddrs(gdb)
	}
	if isSlave && (len(set) > 0 || len(delGlobal) > 0) {
		for _, g := range sortedKeys(n.gdb.nodes) {
			n.Snd(g+"#", "g_upd", family, set, delGlobal)
		}
	}
	if len(set) > 0 || len(localSet) > 0 || len(delLocal) > 0 {
		for k, v := range localSet {
			set[k] = v
		}
		for _, m := range sortedKeys(n.gdb.monitors[family]) {
			n.Snd(m+"#", "g_chg2", family, set, delLocal)
		}
	}
}

// syncAddrs mirrors GLOBAL_DB{'l} into the address book the connection
// code reads (Node.pm connect reads GLOBAL_DB directly).
func (n *Node) syncAddrs(l map[string]any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for id, v := range l {
		if id == n.id {
			continue
		}
		if addrs := stringList(v); len(addrs) > 0 {
			n.addrs[id] = addrs
		}
	}
}

// gClr removes every entry of a node (g_clr).
func (n *Node) gClr(node string) {
	db := n.gdb.locals[node]
	for _, f := range sortedKeys(db) {
		keys := make([]string, 0, len(db[f]))
		for k := range db[f] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		n.gUpd(node, f, nil, keys)
	}
	delete(n.gdb.locals, node)
}

// gDisconnect forgets a node that went down: its entries, its global node
// status and its monitors.
func (n *Node) gDisconnect(node string) {
	defer n.stats.noteGlobalDB(&n.gdb)
	delete(n.gdb.nodes, node)
	n.dbDel(familyGlobals, []string{node})
	n.dbDel(familyListeners, []string{node})
	n.gClr(node)
	if mon, ok := n.gdb.slaves[node]; ok {
		delete(n.gdb.slaves, node)
		for f := range mon {
			delete(n.gdb.monitors[f], node)
			if len(n.gdb.monitors[f]) == 0 {
				delete(n.gdb.monitors, f)
			}
		}
	}
}

// gGlobalConnect greets another global node: record it in 'g and send it
// the merged databases of our slaves.
func (n *Node) gGlobalConnect(node string) {
	n.dbSet(familyGlobals, node, nil)
	db := map[string]any{}
	for _, s := range sortedKeys(n.gdb.locals) {
		if _, ok := n.gdb.slaves[s]; !ok {
			continue
		}
		for f, fv := range n.gdb.locals[s] {
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
	n.Snd(node+"#", "g_set", db)
}
