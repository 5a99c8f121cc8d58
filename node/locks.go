package node

// Locks and other synchronisation in package node, and the order in which
// they may be held. The rule that makes a node safe against peers: no
// socket I/O, and nothing that can wait on a peer or on another
// goroutine's progress (a dial, a blocking channel send, a handler),
// happens while any lock below is held. A peer that stops reading can only
// stall its own writer goroutine.
//
// Mutexes, outermost first; a goroutine holding one may take only those
// listed after it:
//
//  1. calFunc's per-call st (cal.go): outermost in its own scope, held
//     while the timer or monitor of one Cal is set up.
//  2. remote.mu (remote.go): one node record. Never two records at once
//     (send to another node after unlocking). Held while encoding into a
//     connection's buffer (conn.enqueue), never while writing it.
//  3. Node.mu (node.go): ports, local monitors, the remotes table,
//     functions, node monitors, addresses, listeners, the port counter
//     and globalState. Taken under remote.mu (knownAddrs,
//     prune), never the other way round.
//  4. conn.mu with conn.cond (conn.go): one connection's output buffers
//     and write state. Taken under remote.mu, or alone by a send to the
//     connection a record publishes (remote.out, see setOutLocked). Only
//     the writer goroutine waits on cond, for an inline write to end,
//     which never blocks.
//  5. loop.mu (loop.go): the dispatch queue. A leaf: posting never waits.
//  6. Node.traceMu (trace.go): held for one Write of a formatted line to
//     Config.Trace, and never while holding any lock above. A leaf.
//
// Without a mutex:
//   - Node.remoteCache (sync.Map) mirrors Node.remotes for lock-free
//     lookups on the send path; it is written under Node.mu.
//     Node.lastRemote (atomic) holds the record of the last lookup, used
//     while its remote.pruned (atomic, set under remote.mu) is false.
//   - remote.out (atomic) is the connection sends may use without
//     remote.mu; stored under remote.mu (remote.setOutLocked).
//   - conn.lastLife, readerBusy, inqBytes, inqLen, hb are atomics shared by
//     a connection's reader, the dispatch loop and the heartbeat timer.
//   - conn.wake, conn.room and loop.wake are 1-buffered channels that are
//     only ever sent to with select/default; conn.done is closed once.
//   - globalService.running (atomic.Bool, global.go) says whether the
//     node runs the global service; set once on the dispatch goroutine,
//     read by connection code (isGlobal) and Stats.
//   - Timer.done (atomic.Bool, timer.go) decides once between an After or
//     AfterFunc callback and Timer.Stop.
//   - Node.once, Guard.once, monitor.once (sync.Once) run callbacks once;
//     they are not held across anything that waits.
//   - Node.wg counts the node's goroutines; Close waits for them after
//     closing every socket, so none of them can be waiting on a peer.
//   - Node.ctx ends with Close; blocking API calls select on it.
//
// State owned by the dispatch goroutine (no lock, touched only by items
// the loop runs): Node.reqs, Node.db (the database client, db.go),
// Node.global (the global service, global.go, but for its running flag),
// Node.seeds (seeds, master selection and keepalive, seeds.go). A
// connection reader that runs an item inline does so as the loop
// (loop.running), so it is the dispatch goroutine for that time.
