package node

import "sync"

// departedPeers keeps the final counters of peers whose records were
// pruned (remote.prune drops the record of a node that is gone and that
// nothing waits for). Without it, node-wide counters would go backwards
// when a record goes, and a peer that just left would vanish from Stats
// before anybody saw it go down.
//
// It is bounded by Config.MaxDepartedPeers: past it the oldest entry is
// folded into evicted, which keeps counting for the node-wide totals. A
// node that comes back takes its entry back (revive), so its own
// counters stay monotonic too.
type departedPeers struct {
	mu      sync.Mutex // a leaf: taken under Node.mu (revive) and under remote.mu + Node.mu (prune)
	order   []string   // node IDs, oldest first; guarded by mu
	peers   map[string]PeerStats
	evicted peerTotals // counters of entries dropped from the list; guarded by mu
}

// peerTotals are the counters that node-wide figures sum over peers.
type peerTotals struct {
	msgsIn, msgsOut, bytesIn, bytesOut uint64
	errs                               [len(transportReasons)]uint64
}

func (t *peerTotals) add(p *PeerStats) {
	t.msgsIn += p.MessagesIn
	t.msgsOut += p.MessagesOut
	t.bytesIn += p.BytesIn
	t.bytesOut += p.BytesOut
	for i, r := range transportReasons {
		t.errs[i] += p.TransportErrors[r]
	}
}

// add records the final snapshot of a pruned peer (merging it into an
// entry of the same node left by an earlier record).
func (d *departedPeers) add(p PeerStats, limit int) {
	p.State, p.SendQueueBytes, p.RecvQueueBytes, p.RecvQueueMessages = PeerDown, 0, 0, 0
	p.PendingMessages, p.Monitors, p.MonitoredBy = 0, 0, 0
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.peers == nil {
		d.peers = map[string]PeerStats{}
	}
	if old, ok := d.peers[p.NodeID]; ok {
		p = mergePeerStats(old, p)
		d.order = removeString(d.order, p.NodeID)
	}
	d.peers[p.NodeID] = p
	d.order = append(d.order, p.NodeID)
	for len(d.order) > max(limit, 0) {
		oldest := d.peers[d.order[0]]
		d.evicted.add(&oldest)
		delete(d.peers, d.order[0])
		d.order = d.order[1:]
	}
}

// revive hands the counters of a departed node to its new record.
func (d *departedPeers) revive(id string, st *peerStats) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p, ok := d.peers[id]
	if !ok {
		return
	}
	delete(d.peers, id)
	d.order = removeString(d.order, id)
	st.msgsIn.Store(p.MessagesIn)
	st.msgsOut.Store(p.MessagesOut)
	st.bytesIn.Store(p.BytesIn)
	st.bytesOut.Store(p.BytesOut)
	st.connects.Store(p.Connects)
	st.dropped.Store(p.DroppedMessages)
	if !p.LastChange.IsZero() {
		st.lastChange.Store(p.LastChange.UnixNano())
	}
	for i, r := range transportReasons {
		st.errs[i].Store(p.TransportErrors[r])
	}
}

// snapshot returns copies of the departed entries, oldest first, and the
// counters of the evicted ones.
func (d *departedPeers) snapshot() ([]PeerStats, peerTotals) {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]PeerStats, 0, len(d.order))
	for _, id := range d.order {
		p := d.peers[id]
		errs := make(map[string]uint64, len(p.TransportErrors))
		for k, v := range p.TransportErrors {
			errs[k] = v
		}
		p.TransportErrors = errs
		out = append(out, p)
	}
	return out, d.evicted
}

// mergePeerStats adds the counters of two records of one node.
func mergePeerStats(a, b PeerStats) PeerStats {
	b.MessagesIn += a.MessagesIn
	b.MessagesOut += a.MessagesOut
	b.BytesIn += a.BytesIn
	b.BytesOut += a.BytesOut
	b.Connects += a.Connects
	b.DroppedMessages += a.DroppedMessages
	if b.Connects > 1 {
		b.Reconnects = b.Connects - 1
	}
	if b.LastChange.Before(a.LastChange) {
		b.LastChange = a.LastChange
	}
	errs := make(map[string]uint64, len(transportReasons))
	for _, r := range transportReasons {
		errs[r] = a.TransportErrors[r] + b.TransportErrors[r]
	}
	b.TransportErrors = errs
	return b
}

func removeString(l []string, s string) []string {
	for i, e := range l {
		if e == s {
			return append(l[:i], l[i+1:]...)
		}
	}
	return l
}
