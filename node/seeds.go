package node

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Seed management and master selection (Kernel.pm): keep trying to be
// connected to every seed; bind to the first seed that is up as master;
// when the master goes down, pick another. A node that reaches its own
// address among the seeds becomes a global node. Global nodes keep
// connections to each other (keepalive).

// seeder is that state and its decisions. It belongs to the dispatch
// goroutine and reaches the node only through seedHost (subsys.go); the
// dialling and resolving it asks for run on goroutines of the node, which
// report back with greeted, dialed and resolved.
type seeder struct {
	host       seedHost
	log        *slog.Logger
	maxRetry   time.Duration     // monitor_timeout: the longest retry delay
	resolvers  bool              // Config.SeedSource is set
	node       map[string]string // seed address -> node ID ("" while unknown) (%SEED_NODE)
	seedOf     map[string]string // node ID -> seed address (%NODE_SEED)
	connecting map[string]bool   // %SEED_CONNECT
	srv        []string          // "srv:NAME" seeds, resolved at every retry
	resolving  bool              // a lookup of srv seeds / SeedSource runs
	retry      time.Duration     // $SEED_RETRY
	timer      stopper           // $SEED_WATCHER
	masterMon  *Guard            // $MASTER_MON

	keepalive     map[string]int  // %KEEPALIVE: wanted connections, counted
	keepaliveDown map[string]bool // %KEEPALIVE_DOWN
	kaRetry       time.Duration
	kaTimer       stopper
}

// stopper is a timer as the seeder needs it (*time.Timer in a node).
type stopper interface{ Stop() bool }

func newSeeder(host seedHost, log *slog.Logger, maxRetry time.Duration, seedSource bool) *seeder {
	return &seeder{host: host, log: log, maxRetry: maxRetry, resolvers: seedSource,
		node: map[string]string{}, seedOf: map[string]string{}, connecting: map[string]bool{},
		keepalive: map[string]int{}, keepaliveDown: map[string]bool{}}
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
	n.MonNodes(func(id string, up bool, _ []any) {
		if !up {
			n.global.forget(id)
		}
		n.seeds.nodeEvent(id, up)
	})
	n.MonNodes(func(id string, up bool, _ []any) { n.seeds.keepaliveEvent(id, up) })
	n.seeds.setSeeds(n.cfg.Seeds)
	n.seeds.masterSearch()
}

// setSeeds replaces the seeds and starts seeding.
func (s *seeder) setSeeds(seeds []string) {
	s.node = map[string]string{}
	s.seedOf = map[string]string{}
	s.connecting = map[string]bool{}
	s.srv = nil
	for _, seed := range seeds {
		if IsSRVSeed(seed) {
			s.srv = append(s.srv, seed)
			continue
		}
		s.node[seed] = ""
	}
	s.seedAgain()
}

// seedAgain restarts seeding soon (after a 0.6-1.2 s first retry delay).
func (s *seeder) seedAgain() {
	s.retry = time.Duration((1 + rand.Float64()) * 0.6 * float64(time.Second))
	if s.timer == nil {
		s.timer = s.host.afterLoop(0, s.seedAll)
	}
}

// afterLoop runs f on the dispatch goroutine after d.
func (n *Node) afterLoop(d time.Duration, f func()) stopper {
	return time.AfterFunc(d, func() {
		if !n.closed() {
			n.loop.post(item{fn: f})
		}
	})
}

// seedAll connects to every seed that is not up, and retries with a delay
// that doubles up to monitor_timeout, until all are connected.
func (s *seeder) seedAll() {
	s.timer = nil
	resolvers := len(s.srv) > 0 || s.resolvers
	if resolvers && !s.resolving {
		// re-resolve at every retry, off the loop (DNS can take seconds);
		// the answers are connected to when they arrive
		s.resolving = true
		s.host.resolveSeeds(slices.Clone(s.srv))
	}
	var todo []string
	for _, seed := range sortedKeys(s.node) {
		if id := s.node[seed]; id == "" || !s.host.NodeIsUp(id) {
			todo = append(todo, seed)
		}
	}
	if len(todo) == 0 && !(resolvers && len(s.node) == 0) {
		return // all connected; keep retrying while resolving finds nothing
	}
	for _, seed := range todo {
		if !s.connecting[seed] {
			s.connect(seed)
		}
	}
	s.retry *= 2
	if s.retry > s.maxRetry {
		s.retry = s.maxRetry
	}
	s.timer = s.host.afterLoop(s.retry, s.seedAll)
}

// resolved takes the addresses a resolveSeeds found: new ones are seeds.
func (s *seeder) resolved(addrs []string) {
	s.resolving = false
	for _, seed := range addrs {
		if _, ok := s.node[seed]; ok {
			continue
		}
		s.node[seed] = ""
		if !s.connecting[seed] {
			s.connect(seed)
		}
	}
}

func (s *seeder) connect(seed string) {
	s.connecting[seed] = true
	s.host.dialSeed(seed)
}

// greeted records the node a seed's greeting names (unless the seed was
// dropped meanwhile).
func (s *seeder) greeted(seed, id string) {
	if _, ok := s.node[seed]; !ok {
		return
	}
	s.node[seed] = id
	s.seedOf[id] = seed
}

// dialed ends a dial of a seed; when the seed was ourselves, we act as
// one: a global node.
func (s *seeder) dialed(seed string, err error) {
	delete(s.connecting, seed)
	if errors.Is(err, protocol.ErrSelf) {
		delete(s.node, seed)
		s.host.becomeGlobal()
	}
}

// resolveSeeds looks up srv: seeds and asks SeedSource, then adds new
// addresses to the seeds and connects to them (on the loop).
func (n *Node) resolveSeeds(srv []string) {
	n.wg.Add(1)
	go func() {
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
		n.loop.post(item{fn: func() { n.seeds.resolved(addrs) }})
	}()
}

// dialSeed dials one seed. When the greeting names the node, it is
// recorded as that seed's node and asked to run the global service
// (g_slave); when it names us, we are that seed and become global.
func (n *Node) dialSeed(seed string) {
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		hc := n.handshakeConfig(seed)
		check := hc.CheckGreeting
		hc.CheckGreeting = func(g *protocol.Greeting) error {
			id := g.NodeID
			n.loop.post(item{fn: func() { n.seeds.greeted(seed, id) }})
			n.Snd(id+"#", "g_slave")
			return check(g)
		}
		err := n.dialWith(n.ctx, seed, hc)
		n.loop.post(item{fn: func() { n.seeds.dialed(seed, err) }})
	}()
}

// nodeEvent is Kernel.pm's seed mon_nodes callback.
func (s *seeder) nodeEvent(id string, up bool) {
	if _, ok := s.seedOf[id]; !ok {
		return
	}
	if up {
		s.host.send(id+"#", "g_slave") // make sure it runs the global service
	} else {
		s.seedAgain()
	}
}

// masterSet binds us to a master (master_set) and watches it: when it
// goes down, we search again.
func (s *seeder) masterSet(id string) {
	s.host.bindMaster(id)
	s.masterMon.Stop()
	s.masterMon = s.host.MonNodes(func(node string, up bool, _ []any) {
		if node == s.host.masterID() && !up {
			s.host.bindMaster("")
			s.masterSearch()
		}
	})
}

// masterSearch picks the first connected seed as master, or waits for one
// to come up.
func (s *seeder) masterSearch() {
	for _, id := range sortedKeys(s.seedOf) {
		if s.host.NodeIsUp(id) {
			s.masterSet(id)
			return
		}
	}
	s.masterMon.Stop()
	s.masterMon = s.host.MonNodes(func(node string, up bool, _ []any) {
		if !up || s.host.masterID() != "" {
			return
		}
		if _, ok := s.seedOf[node]; ok {
			s.masterSet(node)
		}
	})
}

// keepaliveAdd keeps a connection to a node open (global nodes to each
// other), retrying with a doubling delay.
func (s *seeder) keepaliveAdd(id string) {
	if id == s.host.ID() {
		return
	}
	s.keepalive[id]++
	if s.keepalive[id] > 1 || s.host.NodeIsUp(id) {
		return
	}
	s.keepaliveDown[id] = true
	s.keepaliveAgain()
}

func (s *seeder) keepaliveDel(id string) {
	if s.keepalive[id]--; s.keepalive[id] > 0 {
		return
	}
	delete(s.keepalive, id)
	delete(s.keepaliveDown, id)
}

func (s *seeder) keepaliveAgain() {
	s.kaRetry = time.Duration((1 + rand.Float64()) * 0.3 * float64(time.Second))
	s.keepaliveAll()
}

func (s *seeder) keepaliveAll() {
	if s.kaTimer != nil {
		s.kaTimer.Stop()
		s.kaTimer = nil
	}
	if len(s.keepaliveDown) == 0 {
		return
	}
	for _, id := range sortedKeys(s.keepaliveDown) {
		s.host.connectNode(id)
	}
	s.kaRetry *= 2
	if s.kaRetry > s.maxRetry {
		s.kaRetry = s.maxRetry
	}
	s.kaTimer = s.host.afterLoop(s.kaRetry, s.keepaliveAll)
}

// keepaliveEvent is the keepalive mon_nodes callback: a wanted node that
// goes down is retried.
func (s *seeder) keepaliveEvent(id string, up bool) {
	if _, ok := s.keepalive[id]; !ok {
		return
	}
	if up {
		delete(s.keepaliveDown, id)
		return
	}
	s.keepaliveDown[id] = true
	s.keepaliveAgain()
}

// connectNode starts connecting to a node unless it is connected or
// connecting (keepalive).
func (n *Node) connectNode(id string) {
	r := n.lockRemote(id)
	r.connectLocked()
	r.mu.Unlock()
}

// dialWith is dial with a prepared handshake config.
func (n *Node) dialWith(ctx context.Context, addr string, hc *protocol.HandshakeConfig) error {
	_, err := n.dialConfig(ctx, addr, hc)
	return err
}
