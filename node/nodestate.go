package node

// NodeStatus is what a node knows about another node: Kernel.pm's
// node_is_up returns 1, 0 or undef for the three values.
type NodeStatus int

const (
	// NodeUnknown: nothing is known about the node (undef): it was never
	// contacted, or its connection was lost and nothing waits for it.
	NodeUnknown NodeStatus = iota
	// NodeDown: the node is known but not connected (0): a connection
	// to it is being made.
	NodeDown
	// NodeUp: there is a working connection (1); always so for this
	// node itself.
	NodeUp
)

// String returns "up", "down" or "unknown".
func (s NodeStatus) String() string {
	switch s {
	case NodeUp:
		return "up"
	case NodeDown:
		return "down"
	}
	return "unknown"
}

// NodeState tells whether a node is up, known but down, or unknown
// (node_is_up's three answers; NodeIsUp is the yes/no form).
//
// "Known" follows Perl's bookkeeping: Kernel.pm keeps a node object while
// something needs it, and after a connection loss only a weak reference,
// so the node is forgotten (undef) unless it is being connected to again.
// Here a node is down rather than unknown while a connection attempt
// runs (a message or monitor for it is waiting: connecting, looking up
// its address, retrying) or the monitors of a lost connection have not
// run yet. A node that was never contacted, or whose connection was lost
// with nothing waiting, is unknown. (Perl also keeps a node known while a
// mon guard for one of its ports is held; a Go Guard does not.)
func (n *Node) NodeState(nodeID string) NodeStatus {
	if nodeID == n.id {
		return NodeUp
	}
	r := n.knownRemote(nodeID)
	if r == nil {
		return NodeUnknown
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.tr != nil:
		return NodeUp
	case r.connecting || r.connectTimer != nil || len(r.queue) > 0 || len(r.lmon) > 0 || r.downPending:
		return NodeDown
	}
	return NodeUnknown
}

// knownRemote returns the record of a node the kernel knows, or nil;
// unlike remote it does not make one.
func (n *Node) knownRemote(id string) *remote {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.remotes[id]
}
