package node

import "time"

// The narrow interfaces through which the loop-owned subsystems reach
// the node. Each subsystem (globalService in global.go, dbClient in
// db.go, seeder in seeds.go) holds only what it is given here, so a unit
// test drives it with a fake that records what it sends
// (*_unit_test.go) instead of a TCP mesh. *Node implements all of them;
// every method runs on the dispatch goroutine, as the subsystems do.

// globalHost is what the global service (global.go) needs from its node.
type globalHost interface {
	// ID is our node ID: the service never mirrors our own listener
	// addresses into the address book.
	ID() string
	// send is Snd without the error: the service answers and notifies
	// other nodes' node ports and has nothing to do when that fails.
	send(port string, msg ...any)
	// dbSet and dbDel change this node's own part of the database (the
	// db client, db.go): a global node publishes itself in 'g and the
	// other global nodes' listeners in 'l there, and retracts them when
	// they go.
	dbSet(family, key string, value any)
	dbDel(family string, keys []string)
	// AddAddress records where a node listens: the merged 'l family is
	// the address book the connection code reads (Node.pm's connect reads
	// GLOBAL_DB directly).
	AddAddress(id string, addrs ...string)
}

// send is Snd for the subsystems: when a send fails (the node is closed)
// there is nothing for them to do.
func (n *Node) send(port string, msg ...any) { n.Snd(port, msg...) }

// dbHost is what the database client (db.go) needs from its node.
type dbHost interface {
	// send is Snd without the error (see globalHost).
	send(port string, msg ...any)
	// masterID names the global node that gets our changes and answers
	// our monitors; "" while there is none. g_chg1/g_chg2 from any other
	// node are ignored, as Perl ignores them.
	masterID() string
	// globalReqAdd and globalReqDel keep a monitor's g_mon1 in the table
	// of requests re-sent to every new master (master.go), so a monitor
	// survives a master switch.
	globalReqAdd(id string, req []any)
	globalReqDel(id string)
	// post runs fn later on the dispatch goroutine: a second monitor of a
	// family gets the current state postponed, as in Perl.
	post(fn func())
}

// post queues fn for the dispatch goroutine.
func (n *Node) post(fn func()) { n.loop.post(item{fn: fn}) }

// seedHost is what seeds, master selection and keepalive (seeds.go) need
// from their node.
type seedHost interface {
	// ID is our node ID: we never keep a connection to ourselves.
	ID() string
	// send asks a seed that came up to run the global service (g_slave).
	send(port string, msg ...any)
	// NodeIsUp tells which seeds need dialling and which can be master.
	NodeIsUp(id string) bool
	// MonNodes watches the master: when it goes down, another is chosen.
	MonNodes(cb func(id string, up bool, reason []any)) *Guard
	// afterLoop schedules the doubling retries on the dispatch goroutine.
	afterLoop(d time.Duration, f func()) stopper
	// dialSeed and resolveSeeds run off the loop (a dial or DNS can take
	// seconds) and report back through greeted, dialed and resolved.
	dialSeed(seed string)
	resolveSeeds(srv []string)
	// connectNode keeps a wanted global node connected (keepalive).
	connectNode(id string)
	// becomeGlobal: a seed we dialled was ourselves.
	becomeGlobal()
	// masterID and bindMaster read and set our master; bindMaster also
	// hands a new master our database and queued requests (master.go).
	masterID() string
	bindMaster(id string)
}
