package node

import (
	"github.com/aemp-go/aemp-go/protocol"
)

// The slave side of the global protocol (Kernel.pm "talk with/to global
// nodes"): requests to our master, the global node we are bound to, are
// kept in a table and re-sent whenever the master changes, so a request
// is never lost to a master switch.

// globalState is guarded by Node.mu.
type globalState struct {
	master   string           // our master node, "" while there is none
	requests map[string][]any // id -> request, re-sent to every new master (%GLOBAL_REQ)
	replies  map[string]func(args []any)
	replyID  string // $GLOBAL_RES_ID
}

// isGlobal reports whether this node is a global node.
func (n *Node) isGlobal() bool {
	return n.global.running.Load()
}

// knownAddrs returns the listener addresses we know for a node: from the
// global database on a global node, from g_found answers and AddAddress
// elsewhere.
func (n *Node) knownAddrs(id string) []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.addrs[id]
}

// AddAddress tells the node where another node listens, so messages to it
// can be delivered without asking a global node.
func (n *Node) AddAddress(nodeID string, addrs ...string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.addrs[nodeID] = append([]string(nil), addrs...)
}

// masterID returns the current master, "" when there is none.
func (n *Node) masterID() string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.g.master
}

// bindMaster makes id our master, "" for none. A new master gets our
// database and every queued global request (master_set); the seeder
// (seeds.go) decides which node it is.
func (n *Node) bindMaster(id string) {
	n.mu.Lock()
	n.g.master = id
	reqs := make([][]any, 0, len(n.g.requests))
	for _, k := range sortedKeys(n.g.requests) {
		reqs = append(reqs, n.g.requests[k])
	}
	n.mu.Unlock()
	if id == "" {
		return
	}
	n.log.Info("new master node", "master", id)
	n.Snd(id+"#", "g_slave", n.db.snapshot())
	for _, r := range reqs {
		n.Snd(id+"#", r...)
	}
}

// globalReqAdd queues a request for the master and sends it now if there
// is one (global_req_add). A request with the same id is not added twice.
func (n *Node) globalReqAdd(id string, req []any) {
	n.mu.Lock()
	if n.g.requests == nil {
		n.g.requests = map[string][]any{}
	}
	if _, ok := n.g.requests[id]; ok {
		n.mu.Unlock()
		return
	}
	n.g.requests[id] = req
	master := n.g.master
	n.mu.Unlock()
	if master != "" {
		n.Snd(master+"#", req...)
	}
}

func (n *Node) globalReqDel(id string) {
	n.mu.Lock()
	delete(n.g.requests, id)
	n.mu.Unlock()
}

// globalCall sends a request that the master answers with g_reply
// (global_call); the request id is appended as its last element.
func (n *Node) globalCall(req []any, cb func(args []any)) {
	n.mu.Lock()
	if n.g.replies == nil {
		n.g.replies = map[string]func([]any){}
		n.g.replyID = "a"
	}
	n.g.replyID = perlIncr(n.g.replyID)
	id := n.g.replyID
	n.g.replies[id] = cb
	n.mu.Unlock()
	n.globalReqAdd(id, append(append([]any(nil), req...), id))
}

// gReply: ["", "g_reply", id, result...]
func (n *Node) gReply(src string, args []any) {
	id := argString(args, 0)
	n.globalReqDel(id)
	n.mu.Lock()
	cb := n.g.replies[id]
	delete(n.g.replies, id)
	n.mu.Unlock()
	if cb != nil {
		cb(args[min(1, len(args)):])
	}
}

// gFind asks the master for a node's addresses.
func (n *Node) gFind(id string) {
	n.globalReqAdd("g_find "+id, []any{"g_find", id})
}

// gFound: ["", "g_found", node, [addrs]|null] answers g_find; connect to
// what was found.
func (n *Node) gFound(src string, args []any) {
	id := argString(args, 0)
	n.globalReqDel("g_find " + id)
	r := n.knownRemote(id)
	if r == nil {
		return
	}
	var addrs []string
	if len(args) > 1 {
		if l, ok := args[1].([]any); ok {
			for _, a := range l {
				if s, ok := protocol.PerlString(a); ok {
					addrs = append(addrs, s)
				}
			}
		}
	}
	r.connectTo(addrs)
}
