package node

import (
	"strconv"
	"time"
)

// CatchLogs collects the log records of every other node of the mesh,
// Perl and Go alike, as LogCatcher.pm's catch does: it watches the
// global database's listener family ('l) for nodes, and on each one
// calls AnyEvent::MP::LogCatcher::connect with a local port and level
// (1 fatal .. 9 trace: that level and more severe ones are sent). cb
// gets each record with the node it came from, on the dispatch
// goroutine. When the connection to a node fails or is lost, the node is
// asked again (after logRetryDelay, where Perl retries at once); records
// logged meanwhile are lost, as in Perl. Stop the guard to
// stop collecting.
//
// The node needs a master (a seed) to learn of other nodes. Nodes in
// secure mode refuse to send their logs.
func (n *Node) CatchLogs(level int, cb func(node string, r LogRecord)) *Guard {
	c := &logCollector{n: n, level: level, cb: cb, nodes: map[string]bool{}, from: map[string]*logSource{}}
	n.loop.post(item{fn: c.start})
	return newGuard(func() { n.loop.post(item{fn: c.stop}) })
}

// logCollector belongs to the dispatch goroutine.
type logCollector struct {
	n       *Node
	level   int
	cb      func(node string, r LogRecord)
	nodes   map[string]bool       // nodes in 'l
	from    map[string]*logSource // nodes asked for their records
	dbGuard *Guard
	stopped bool
}

// logSource is one node we receive records from.
type logSource struct {
	port *Port  // where the node sends them
	mon  *Guard // on the connection to the node
}

// logRetryDelay is how long CatchLogs waits before asking a node again
// whose connection failed, so that a node nobody can reach does not keep
// the loop busy.
const logRetryDelay = time.Second

func (c *logCollector) start() {
	if c.stopped {
		return
	}
	c.dbGuard = c.n.DBMon(familyListeners, func(_ map[string]any, added, _, deleted []string) {
		if c.stopped {
			return
		}
		for _, id := range deleted {
			delete(c.nodes, id)
			c.drop(id)
		}
		for _, id := range added {
			if id == c.n.id {
				continue // not our own records (Perl: return if $node eq $NODE)
			}
			c.nodes[id] = true
			c.connect(id)
		}
	})
}

func (c *logCollector) stop() {
	c.stopped = true
	c.dbGuard.Stop()
	for id := range c.from {
		c.drop(id)
	}
}

// connect asks a node for its records (LogCatcher.pm's mon_node).
func (c *logCollector) connect(id string) {
	if c.stopped || !c.nodes[id] || c.from[id] != nil {
		return
	}
	src := &logSource{}
	src.port = c.n.NewPort(func(_ *Port, args []any) {
		ts, _ := argAt(args, 0).(float64)
		if i, ok := argAt(args, 0).(int64); ok {
			ts = float64(i)
		}
		lvl, _ := strconv.Atoi(argString(args, 2))
		c.cb(id, LogRecord{Time: ts, Title: argString(args, 1), Level: lvl, Message: argString(args, 3)})
	})
	c.from[id] = src
	// a monitor on the node port watches the connection (Perl: mon
	// $node, $lport)
	src.mon, _ = c.n.MonFunc(id+"#", func([]any) {
		if c.from[id] != src {
			return
		}
		c.drop(id)
		c.n.afterLoop(logRetryDelay, func() { c.connect(id) })
	})
	c.n.Snd(id+"#", LogCatcherFunc, int64(0), src.port.ID(), int64(c.level))
}

// drop stops receiving from a node; the node notices that the port died
// (or the connection is gone) and stops sending.
func (c *logCollector) drop(id string) {
	if src := c.from[id]; src != nil {
		delete(c.from, id)
		src.mon.Stop()
		src.port.Kil()
	}
}
