package node

// NodeStatus is what a node knows about another node: Kernel.pm's
// node_is_up returns 1, 0 or undef for the three values.
type NodeStatus int

const (
	// NodeUnknown: nothing is known about the node (undef): no message
	// was sent to it, nothing monitors it, it never connected.
	NodeUnknown NodeStatus = iota
	// NodeDown: the node is known but not connected (0): connecting,
	// waiting to retry, or its connection was lost.
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
// (node_is_up's three answers; NodeIsUp is the yes/no form). A node
// becomes known the way Perl's add_node makes it known: by sending to
// it, monitoring one of its ports or it connecting to us; it stays
// known afterwards.
func (n *Node) NodeState(nodeID string) NodeStatus {
	if nodeID == n.id {
		return NodeUp
	}
	n.mu.Lock()
	r := n.remotes[nodeID]
	n.mu.Unlock()
	switch {
	case r == nil:
		return NodeUnknown
	case r.isUp():
		return NodeUp
	}
	return NodeDown
}
