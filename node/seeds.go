package node

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Seed management and master selection (Kernel.pm): keep trying to be
// connected to every seed; bind to the first seed that is up as master;
// when the master goes down, pick another. A node that reaches its own
// address among the seeds becomes a global node. All state here belongs
// to the dispatch goroutine.

type seedState struct {
	node       map[string]string // seed address -> node ID ("" while unknown) (%SEED_NODE)
	seedOf     map[string]string // node ID -> seed address (%NODE_SEED)
	connecting map[string]bool   // %SEED_CONNECT
	srv        []string          // "srv:NAME" seeds, resolved at every retry
	resolving  bool              // a lookup of srv seeds / SeedSource runs
	retry      time.Duration     // $SEED_RETRY
	timer      *time.Timer       // $SEED_WATCHER
	masterMon  *Guard            // $MASTER_MON

	keepalive     map[string]int  // %KEEPALIVE: wanted connections, counted
	keepaliveDown map[string]bool // %KEEPALIVE_DOWN
	kaRetry       time.Duration
	kaTimer       *time.Timer
}

// masterID returns the current master, "" when there is none.
func (n *Node) masterID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.g.master
}

// startNetwork runs on the dispatch goroutine after the listeners are up
// (the rest of Kernel.pm's configure): publish our listeners, connect to
// the seeds, look for a master.
func (n *Node) startNetwork() {
	if n.cfg.Global {
		// the AnyEvent::MP::Global:: service: Perl runs its init in
		// post_configure, before publishing the listeners
		n.becomeGlobal()
	}
	binds := make([]any, 0)
	for _, b := range n.Binds() {
		binds = append(binds, b)
	}
	n.dbSet(familyListeners, n.id, binds)
	n.MonNodes(n.seedNodeEvent)
	n.MonNodes(n.keepaliveNodeEvent)
	n.setSeeds(n.cfg.Seeds)
	n.masterSearch()
}

func newSeedState() seedState {
	return seedState{node: map[string]string{}, seedOf: map[string]string{}, connecting: map[string]bool{},
		keepalive: map[string]int{}, keepaliveDown: map[string]bool{}}
}

func (n *Node) setSeeds(seeds []string) {
	n.seeds.node = map[string]string{}
	n.seeds.seedOf = map[string]string{}
	n.seeds.connecting = map[string]bool{}
	n.seeds.srv = nil
	for _, s := range seeds {
		if IsSRVSeed(s) {
			n.seeds.srv = append(n.seeds.srv, s)
			continue
		}
		n.seeds.node[s] = ""
	}
	n.seedAgain()
}

// seedAgain restarts seeding soon (after a 0.6-1.2 s first retry delay).
func (n *Node) seedAgain() {
	n.seeds.retry = time.Duration((1 + rand.Float64()) * 0.6 * float64(time.Second))
	if n.seeds.timer == nil {
		n.seeds.timer = n.afterLoop(0, n.seedAll)
	}
}

// afterLoop runs f on the dispatch goroutine after d.
func (n *Node) afterLoop(d time.Duration, f func()) *time.Timer {
	return time.AfterFunc(d, func() {
		if !n.closed() {
			n.loop.post(item{fn: f})
		}
	})
}

// seedAll connects to every seed that is not up, and retries with a delay
// that doubles up to monitor_timeout, until all are connected.
func (n *Node) seedAll() {
	n.seeds.timer = nil
	resolvers := len(n.seeds.srv) > 0 || n.cfg.SeedSource != nil
	if resolvers && !n.seeds.resolving {
		// re-resolve at every retry, off the loop (DNS can take seconds);
		// the answers are connected to when they arrive
		n.seeds.resolving = true
		n.wg.Add(1)
		go n.resolveSeeds(slices.Clone(n.seeds.srv))
	}
	var todo []string
	for _, s := range sortedKeys(n.seeds.node) {
		if id := n.seeds.node[s]; id == "" || !n.NodeIsUp(id) {
			todo = append(todo, s)
		}
	}
	if len(todo) == 0 && !(resolvers && len(n.seeds.node) == 0) {
		return // all connected; keep retrying while resolving finds nothing
	}
	for _, s := range todo {
		if !n.seeds.connecting[s] {
			n.seedConnect(s)
		}
	}
	n.seeds.retry *= 2
	if n.seeds.retry > n.cfg.MonitorTimeout {
		n.seeds.retry = n.cfg.MonitorTimeout
	}
	n.seeds.timer = n.afterLoop(n.seeds.retry, n.seedAll)
}

// resolveSeeds looks up srv: seeds and asks SeedSource, then adds new
// addresses to the seeds and connects to them (on the loop).
func (n *Node) resolveSeeds(srv []string) {
	defer n.wg.Done()
	var addrs []string
	if len(srv) > 0 {
		r := n.cfg.SRV
		if r == nil {
			r = &SRVResolver{}
		}
		ctx, cancel := context.WithTimeout(n.ctx, 5*time.Second)
		var errs []error
		addrs, errs = r.Expand(ctx, srv)
		cancel()
		for _, err := range errs {
			n.log.Warn("cannot resolve seed", "err", err)
		}
	}
	if n.cfg.SeedSource != nil {
		addrs = append(addrs, n.cfg.SeedSource()...)
	}
	n.loop.post(item{fn: func() {
		n.seeds.resolving = false
		for _, s := range addrs {
			if _, ok := n.seeds.node[s]; ok {
				continue
			}
			n.seeds.node[s] = ""
			if !n.seeds.connecting[s] {
				n.seedConnect(s)
			}
		}
	}})
}

// seedConnect dials one seed. When the greeting names the node, it is
// recorded as that seed's node and asked to run the global service
// (g_slave); when it names us, we are that seed and become global.
func (n *Node) seedConnect(seed string) {
	n.seeds.connecting[seed] = true
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		hc := n.handshakeConfig(seed)
		check := hc.CheckGreeting
		hc.CheckGreeting = func(g *protocol.Greeting) error {
			id := g.NodeID
			n.loop.post(item{fn: func() {
				if _, ok := n.seeds.node[seed]; !ok {
					return
				}
				n.seeds.node[seed] = id
				n.seeds.seedOf[id] = seed
			}})
			n.Snd(id+"#", "g_slave")
			return check(g)
		}
		err := n.dialWith(n.ctx, seed, hc)
		n.loop.post(item{fn: func() {
			delete(n.seeds.connecting, seed)
			if errors.Is(err, protocol.ErrSelf) {
				// we are this seed: act as one
				delete(n.seeds.node, seed)
				n.becomeGlobal()
			}
		}})
	}()
}

// seedNodeEvent is Kernel.pm's seed mon_nodes callback.
func (n *Node) seedNodeEvent(id string, up bool, _ []any) {
	if !up {
		n.global.forget(id)
	}
	if _, ok := n.seeds.seedOf[id]; !ok {
		return
	}
	if up {
		n.Snd(id+"#", "g_slave") // make sure it runs the global service
	} else {
		n.seedAgain()
	}
}

// masterSet binds us to a master: send it our database and every queued
// global request (master_set).
func (n *Node) masterSet(id string) {
	n.mu.Lock()
	n.g.master = id
	reqs := make([][]any, 0, len(n.g.requests))
	for _, k := range sortedKeys(n.g.requests) {
		reqs = append(reqs, n.g.requests[k])
	}
	n.mu.Unlock()
	n.log.Info("new master node", "master", id)
	n.seeds.masterMon.Stop()
	n.seeds.masterMon = n.MonNodes(func(node string, up bool, _ []any) {
		if node == n.masterID() && !up {
			n.mu.Lock()
			n.g.master = ""
			n.mu.Unlock()
			n.masterSearch()
		}
	})
	n.Snd(id+"#", "g_slave", n.db.snapshot())
	for _, r := range reqs {
		n.Snd(id+"#", r...)
	}
}

// masterSearch picks the first connected seed as master, or waits for one
// to come up.
func (n *Node) masterSearch() {
	for _, id := range sortedKeys(n.seeds.seedOf) {
		if n.NodeIsUp(id) {
			n.masterSet(id)
			return
		}
	}
	n.seeds.masterMon.Stop()
	n.seeds.masterMon = n.MonNodes(func(node string, up bool, _ []any) {
		if !up || n.masterID() != "" {
			return
		}
		if _, ok := n.seeds.seedOf[node]; ok {
			n.masterSet(node)
		}
	})
}

// keepaliveAdd keeps a connection to a node open (global nodes to each
// other), retrying with a doubling delay.
func (n *Node) keepaliveAdd(id string) {
	if id == n.id {
		return
	}
	n.seeds.keepalive[id]++
	if n.seeds.keepalive[id] > 1 || n.NodeIsUp(id) {
		return
	}
	n.seeds.keepaliveDown[id] = true
	n.keepaliveAgain()
}

func (n *Node) keepaliveDel(id string) {
	if n.seeds.keepalive[id]--; n.seeds.keepalive[id] > 0 {
		return
	}
	delete(n.seeds.keepalive, id)
	delete(n.seeds.keepaliveDown, id)
}

func (n *Node) keepaliveAgain() {
	n.seeds.kaRetry = time.Duration((1 + rand.Float64()) * 0.3 * float64(time.Second))
	n.keepaliveAll()
}

func (n *Node) keepaliveAll() {
	if n.seeds.kaTimer != nil {
		n.seeds.kaTimer.Stop()
		n.seeds.kaTimer = nil
	}
	if len(n.seeds.keepaliveDown) == 0 {
		return
	}
	for _, id := range sortedKeys(n.seeds.keepaliveDown) {
		r := n.lockRemote(id)
		r.connectLocked()
		r.mu.Unlock()
	}
	n.seeds.kaRetry *= 2
	if n.seeds.kaRetry > n.cfg.MonitorTimeout {
		n.seeds.kaRetry = n.cfg.MonitorTimeout
	}
	n.seeds.kaTimer = n.afterLoop(n.seeds.kaRetry, n.keepaliveAll)
}

func (n *Node) keepaliveNodeEvent(id string, up bool, _ []any) {
	if _, ok := n.seeds.keepalive[id]; !ok {
		return
	}
	if up {
		delete(n.seeds.keepaliveDown, id)
		return
	}
	n.seeds.keepaliveDown[id] = true
	n.keepaliveAgain()
}

// dialWith is dial with a prepared handshake config.
func (n *Node) dialWith(ctx context.Context, addr string, hc *protocol.HandshakeConfig) error {
	_, err := n.dialConfig(ctx, addr, hc)
	return err
}
