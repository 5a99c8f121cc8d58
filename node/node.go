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
	"fmt"
	"log/slog"
	"net"
	"sync"

	"github.com/aemp-go/aemp-go/protocol"
)

// Errors returned by the API.
var (
	ErrClosed      = errors.New("aemp: node is closed")
	ErrBadPortID   = errors.New("aemp: not a valid port ID")
	ErrNotLocal    = errors.New("aemp: port is not local")
	ErrNodePort    = errors.New("aemp: killing a node port is not allowed")
	ErrNotFunction = errors.New("aemp: spawn init function must be a fully-qualified name")
)

// Node is one AEMP node.
type Node struct {
	cfg   Config
	id    string
	log   *slog.Logger
	uniq  string // local port name prefix ($UNIQ), "" for randomised node IDs
	runiq string // prefix of ports spawned elsewhere ($RUNIQ)

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	mu      sync.Mutex            // see locks.go for what may be held with it
	counter string                // Perl's $ID, shared by port and spawn names; guarded by mu
	ports   map[string]*portState // local ports by name; guarded by mu
	lmon    map[string][]*monitor // monitors on local ports, by port name; guarded by mu
	remotes map[string]*remote    // guarded by mu; records of departed nodes are pruned
	// remoteCache mirrors remotes for lock-free lookups; written under mu,
	// together with remotes.
	remoteCache sync.Map
	funcs       map[string]Func     // guarded by mu
	nodeMons    []*nodeMonitor      // guarded by mu
	addrs       map[string][]string // known listener addresses of other nodes; guarded by mu
	binds       []string            // our own listener addresses; guarded by mu
	listeners   []net.Listener      // guarded by mu

	reqs map[string]nodeRequest // the node port's request table (%NODE_REQ); dispatch goroutine only

	loop   loop
	g      globalState    // guarded by mu
	global *globalService // dispatch goroutine, but for its running flag (global.go)
	db     *dbClient      // dispatch goroutine only (db.go)
	seeds  seedState      // dispatch goroutine only
	stats  nodeStats      // atomics (stats.go)

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
	n.reqs = n.kernelRequests()
	n.seeds = seedState{node: map[string]string{}, seedOf: map[string]string{}, connecting: map[string]bool{},
		keepalive: map[string]int{}, keepaliveDown: map[string]bool{}}
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

func (n *Node) closed() bool { return n.ctx.Err() != nil }

// nextName returns the next value of Perl's $ID counter.
func (n *Node) nextName() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.counter = perlIncr(n.counter)
	return n.counter
}

// Snd sends a message to a port, local or remote, asynchronously. Messages
// from one sender to one node arrive in order. A message to a port that
// does not exist is dropped silently, as in Perl; use MonFunc, MonKill or
// MonSend to learn about dead ports. Snd never waits on a peer (nor on a
// handler): a message to another node is queued for its connection, and a
// peer that does not keep up loses its connection once Config.MaxSendQueue
// is reached, as a transport error that monitors of its ports hear.
func (n *Node) Snd(portID string, msg ...any) error {
	nodeID, port := splitPort(portID)
	if nodeID == "" {
		return fmt.Errorf("%w: %q", ErrBadPortID, portID)
	}
	if n.closed() {
		return ErrClosed
	}
	if n.cfg.Trace != nil {
		n.trace("SND %s <- %s", nodeID, traceJSON(port, msg, port == ""))
	}
	if nodeID == n.id {
		n.loop.post(item{port: port, data: msg, src: n.id})
		return nil
	}
	return n.remote(nodeID).send(protocol.Message{Port: port, Data: msg})
}

// sndList sends a message given as one list whose first element is the
// port ID, as Perl's `snd @_` does with a reply list.
func (n *Node) sndList(list []any) {
	if len(list) == 0 {
		return
	}
	port, ok := protocol.PerlString(list[0])
	if !ok {
		n.log.Warn("cannot send: destination is not a port ID", "dest", list[0])
		return
	}
	if err := n.Snd(port, list[1:]...); err != nil {
		n.log.Debug("send failed", "port", port, "err", err)
	}
}

// Kil kills a port, local or remote. Without a reason the port dies
// "normally": monitors are told, but ports linked with MonKill are not
// killed. Killing a local port always happens on the dispatch goroutine,
// never inside the call (Perl delays kil too).
func (n *Node) Kil(portID string, reason ...any) error {
	nodeID, port := splitPort(portID)
	if nodeID == "" {
		return fmt.Errorf("%w: %q", ErrBadPortID, portID)
	}
	if port == "" {
		return fmt.Errorf("%w: %s", ErrNodePort, portID)
	}
	if n.closed() {
		return ErrClosed
	}
	if nodeID == n.id {
		n.loop.post(item{fn: func() { n.kill(port, reason) }})
		return nil
	}
	return n.remote(nodeID).send(protocol.Message{Data: append([]any{"kil1", port}, reason...)})
}
