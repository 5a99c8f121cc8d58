package node

import "testing"

func departedSnap(id string, in uint64) PeerStats {
	return PeerStats{NodeID: id, MessagesIn: in, Connects: 1,
		TransportErrors: map[string]uint64{ReasonEOF: 1}}
}

// A pruned peer keeps its counters (bounded), the oldest are folded into
// the totals, and a node that comes back takes its counters back: no
// counter goes backwards.
func TestDepartedPeersKeepCountersBounded(t *testing.T) {
	var d departedPeers
	d.add(departedSnap("a", 10), 2)
	d.add(departedSnap("b", 20), 2)
	d.add(departedSnap("c", 30), 2) // evicts a
	peers, evicted := d.snapshot()
	if len(peers) != 2 || peers[0].NodeID != "b" || peers[1].NodeID != "c" {
		t.Fatalf("kept %v, want b and c", peers)
	}
	if evicted.msgsIn != 10 || evicted.errs[0] != 1 {
		t.Fatalf("evicted totals %+v, want a's 10 messages and 1 eof", evicted)
	}

	var st peerStats
	d.revive("b", &st)
	if st.msgsIn.Load() != 20 || st.connects.Load() != 1 || st.errs[0].Load() != 1 {
		t.Fatalf("revived counters: in %d connects %d eof %d", st.msgsIn.Load(), st.connects.Load(), st.errs[0].Load())
	}
	if peers, _ := d.snapshot(); len(peers) != 1 || peers[0].NodeID != "c" {
		t.Fatalf("after revive kept %v, want only c", peers)
	}

	// the same node pruned twice (a new record raced the old one): summed
	d.add(departedSnap("c", 5), 2)
	if peers, _ := d.snapshot(); len(peers) != 1 || peers[0].MessagesIn != 35 || peers[0].Reconnects != 1 {
		t.Fatalf("merged %+v, want 35 messages in and one reconnect", peers)
	}
}
