// Package node is the AEMP kernel: a Node owns local ports, monitors,
// connections to other nodes and the node port "", and runs port handlers
// one at a time, in arrival order, as Perl's AnyEvent::MP runs them on its
// event loop (usually on the node's dispatch goroutine; a connection
// reader runs a message's handler itself when nothing else is running,
// which saves two goroutine hand-offs). Handlers therefore never run
// concurrently with each other and need no locks of their own; they must
// not block.
//
// A Node is a value: many can live in one process (tests build whole
// meshes that way) and nothing is shared through package globals.
//
// The reference is MP.pm, MP/Kernel.pm and MP/Node.pm of AnyEvent::MP
// 2.02; the node protocol is documented nowhere else.
package node

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
)

// Errors returned by the API.
var (
	ErrClosed      = errors.New("aemp: node is closed")
	ErrBadPortID   = errors.New("aemp: not a valid port ID")
	ErrNotLocal    = errors.New("aemp: port is not local")
	ErrNodePort    = errors.New("aemp: killing a node port is not allowed")
	ErrNotFunction = errors.New("aemp: spawn init function must be a fully-qualified name")
)

// Node is one AEMP node. Its parts, the files that hold them and who owns
// their state (locks.go has the lock order and what may be held with
// what):
//
//	local ports, their monitors,    port.go, monitor.go,  Node.mu
//	  spawnable functions           spawn.go
//	other nodes: one record each,   remote.go, conn.go,   Node.mu for the table,
//	  its connection and queues     heartbeat.go          remote.mu for a record
//	node monitors, addresses,       monitor.go, listen.go Node.mu
//	  listeners
//	the dispatch loop and the node  loop.go, noderq.go    the dispatch goroutine
//	  port's requests (%NODE_REQ)
//	our master and the requests     master.go             Node.mu
//	  queued for it (slave side)
//	the database client             db.go (dbClient)      the dispatch goroutine
//	the global service              global.go             the dispatch goroutine
//	                                  (globalService)
//	seeds, master search, keepalive seeds.go (seeder)     the dispatch goroutine
//	counters                        stats.go              atomics
//
// The loop-owned parts reach the node through the narrow interfaces of
// subsys.go, so each is unit tested with a fake node.
type Node struct {
	cfg   Config
	id    string
	log   *slog.Logger
	uniq  string // local port name prefix ($UNIQ), "" for randomised node IDs
	runiq string // prefix of ports spawned elsewhere ($RUNIQ)

	ctx    context.Context // ends with Close
	cancel context.CancelFunc
	ended  atomic.Bool    // set by Close just before it ends ctx: closed() without ctx.Err's lock-free but slower path on every send
	wg     sync.WaitGroup // the node's goroutines; Close waits for them
	once   sync.Once      // Close

	mu          sync.Mutex             // guards what follows up to loop
	counter     string                 // Perl's $ID, shared by port and spawn names
	ports       map[string]*portState  // local ports by name
	lmon        map[string][]*monitor  // monitors on local ports, by port name
	funcs       map[string]Func        // spawnable functions
	remotes     map[string]*remote     // other nodes; records of departed nodes are pruned
	remoteCache sync.Map               // remotes for lock-free lookups; written under mu with remotes
	lastRemote  atomic.Pointer[remote] // the record the last lookup found (see Node.remote); not guarded
	nodeMons    []*nodeMonitor
	addrs       map[string][]string // known listener addresses of other nodes
	binds       []string            // our own listener addresses
	listeners   []net.Listener
	g           globalState     // our master and the requests queued for it
	dialing     map[string]bool // nodes an outgoing handshake of ours is past the greeting with (listen.go)

	portsGen atomic.Uint64 // changes with ports and their handlers, written under mu (delivery.go)

	loop   loop                   // the dispatch goroutine; what follows is its own
	last   lastDelivery           // delivery.go
	reqs   map[string]nodeRequest // the node port's requests (%NODE_REQ)
	db     *dbClient
	global *globalService // but for its running flag, an atomic
	seeds  *seeder

	stats   nodeStats  // atomics
	traceMu sync.Mutex // serialises writes to cfg.Trace; a leaf (trace.go)
}

// New creates a node. It does not listen or connect yet: call Start.
func New(cfg Config) (*Node, error) {
	if cfg.NodeID == "" {
		return nil, errors.New("aemp: Config.NodeID is required")
	}
	cfg.setDefaults()
	n := &Node{
		cfg:     cfg,
		id:      cfg.NodeID,
		runiq:   newRUNIQ(),
		counter: "a",
		ports:   map[string]*portState{},
		lmon:    map[string][]*monitor{},
		remotes: map[string]*remote{},
		funcs:   map[string]Func{},
		addrs:   map[string][]string{},
	}
	if !cfg.Randomised {
		n.uniq = nonce62(9) // Perl mixes pid and time into the first five; only uniqueness matters
	}
	n.log = n.catchLogs(cfg.Logger).With("node", n.id)
	n.ctx, n.cancel = context.WithCancel(context.Background())
	n.global = newGlobalService(n, &n.stats)
	n.db = newDBClient(n, n.log, &n.stats)
	n.seeds = newSeeder(n, n.log, cfg.MonitorTimeout, cfg.SeedSource != nil)
	n.reqs = n.kernelRequests() // after db and global: it includes their requests
	n.loop.init()
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		n.loop.run(n.ctx, n)
	}()
	return n, nil
}

// ID returns the node ID.
func (n *Node) ID() string { return n.id }

// Binds returns the addresses the node listens on.
func (n *Node) Binds() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.binds...)
}

// Start binds the configured listeners, publishes them in the database,
// and starts connecting to the seeds (Kernel.pm's configure).
func (n *Node) Start() error {
	if n.closed() {
		return ErrClosed
	}
	if err := n.bind(); err != nil {
		return err
	}
	n.loop.post(item{fn: n.startNetwork})
	return nil
}

func (n *Node) bind() error {
	for _, b := range n.cfg.Binds {
		addrs, err := resolveBind(b)
		if err != nil {
			return err
		}
		for _, a := range addrs {
			if err := n.listen(a); err != nil {
				return err
			}
		}
	}
	return nil
}

// Close shuts the node down: listeners and connections are closed, the
// dispatch goroutine ends. It never waits on a peer (sockets are closed,
// not drained) and is safe to call more than once.
//
// Close is authoritative. Every call blocked in the node (Cal, DBFamily,
// DBKeys, DBValues, GrpGet) returns an error matching ErrClosed, and after
// Close:
//   - Snd, Kil, MonFunc, MonKill, MonSend, DBSet, DBReg, GrpReg, CalFunc,
//     Cal, Spawn, Connect, Start and the blocking queries return ErrClosed;
//   - NewPort returns a port that does not exist (Alive is false, messages
//     to it are dropped), Port.Rcv and Port.Default change nothing that
//     will ever run;
//   - DBDel, DBMon, GrpMon, MonNodes, the *Func queries, After, AfterFunc,
//     Register and AddAddress are no-ops: their callbacks never run (After
//     and AfterFunc return a stopped Timer).
func (n *Node) Close() error {
	n.once.Do(func() {
		n.ended.Store(true)
		n.cancel()
		n.mu.Lock()
		ls := n.listeners
		rs := make([]*remote, 0, len(n.remotes))
		for _, r := range n.remotes {
			rs = append(rs, r)
		}
		n.mu.Unlock()
		for _, l := range ls {
			l.Close()
		}
		for _, r := range rs {
			r.shutdown()
		}
		n.wg.Wait()
	})
	return nil
}

func (n *Node) closed() bool { return n.ended.Load() }
