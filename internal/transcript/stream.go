package transcript

import (
	"bytes"
	"fmt"
	"net/netip"
	"os"
	"sort"
	"time"
)

// Segment is a run of new payload bytes one side sent, as carried by one
// captured TCP segment after retransmitted and duplicate bytes were removed.
type Segment struct {
	// Time is when the carrying packet was captured.
	Time time.Time
	// FromClient is true for bytes the connecting side sent.
	FromClient bool
	// Data holds the bytes; it never aliases the capture buffer.
	Data []byte
}

// Conn is one reassembled TCP connection.
type Conn struct {
	// Client is the side that sent the SYN (the AEMP connector); Server
	// is the side that accepted it.
	Client, Server netip.AddrPort
	// Segments holds both directions' payload, in the order the bytes
	// became available to the receiving application: a segment that
	// arrived early, out of order, is placed after the one that filled
	// the hole before it.
	Segments []Segment
	// ClientFIN and ServerFIN report whether that side's FIN was seen.
	ClientFIN, ServerFIN bool
}

// Stream returns all payload bytes of one direction, in order.
func (c *Conn) Stream(fromClient bool) []byte {
	var b []byte
	for _, s := range c.Segments {
		if s.FromClient == fromClient {
			b = append(b, s.Data...)
		}
	}
	return b
}

// ReadPcap reads a classic pcap file and returns its TCP connections in the
// order their SYNs were captured. See ReadPcapBytes.
func ReadPcap(path string) ([]*Conn, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	conns, err := ReadPcapBytes(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return conns, nil
}

// ReadPcapBytes parses a classic pcap file held in memory and returns its TCP
// connections in the order their SYNs were captured.
//
// Only connections whose SYN (without ACK) is in the capture are returned,
// since without it the client side and the start of the byte streams are
// unknown. A SYN with a new initial sequence number on a 4-tuple that is
// already known starts a new connection (port reuse). Malformed input, and a
// hole in a stream (bytes that were never captured), are errors.
func ReadPcapBytes(b []byte) ([]*Conn, error) {
	pkts, err := readPackets(b)
	if err != nil {
		return nil, err
	}
	var (
		order  []*tracker
		active = map[connKey]*tracker{}
	)
	for i := range pkts {
		p := &pkts[i]
		k := keyOf(p.src, p.dst)
		t := active[k]
		// A SYN with the ISN we know is a retransmission; any other SYN
		// opens a new connection, even on a 4-tuple seen before.
		retransmit := t != nil && t.client == p.src && t.dir[0].isn == p.seq
		if p.flags&(tcpSYN|tcpACK) == tcpSYN && !retransmit {
			t = &tracker{client: p.src, server: p.dst}
			t.dir[0].isn, t.dir[0].isnKnown = p.seq, true
			order = append(order, t)
			active[k] = t
		}
		if t == nil {
			continue // no SYN seen: the capture started mid-connection
		}
		t.add(i, p)
	}
	conns := make([]*Conn, len(order))
	for i, t := range order {
		c, err := t.finish()
		if err != nil {
			return nil, err
		}
		conns[i] = c
	}
	return conns, nil
}

// connKey names a connection regardless of the packet's direction.
type connKey struct{ a, b netip.AddrPort }

func keyOf(x, y netip.AddrPort) connKey {
	if x.Compare(y) > 0 {
		x, y = y, x
	}
	return connKey{x, y}
}

// tracker collects one connection's segments until the capture is read.
type tracker struct {
	client, server netip.AddrPort
	dir            [2]direction // 0: client to server, 1: server to client
}

// direction is one half of a connection.
type direction struct {
	isnKnown bool
	isn      uint32 // initial sequence number; data starts at isn+1
	maxRel   int64  // highest stream offset seen, to unwrap 32-bit seqs
	fin      bool
	pending  []pendingSeg
}

// pendingSeg is a captured segment positioned in its stream.
type pendingSeg struct {
	rel  int64 // offset of data[0] in the stream
	idx  int   // capture order, to interleave the two directions
	time time.Time
	data []byte
}

func (t *tracker) add(idx int, p *packet) {
	d := &t.dir[0]
	if p.src != t.client {
		d = &t.dir[1]
	}
	seq := p.seq
	if p.flags&tcpSYN != 0 {
		if !d.isnKnown {
			d.isn, d.isnKnown = p.seq, true
		}
		seq++ // the SYN occupies one sequence number before the data
	}
	if !d.isnKnown {
		// The SYN-ACK was not captured; assume this is the first byte.
		d.isn, d.isnKnown = seq-1, true
	}
	if p.flags&tcpFIN != 0 {
		d.fin = true
	}
	if len(p.payload) == 0 {
		return
	}
	// Interpret seq relative to the furthest point seen so far, so
	// streams that wrap around 2^32 keep increasing offsets.
	anchor := d.isn + 1 + uint32(d.maxRel)
	rel := d.maxRel + int64(int32(seq-anchor))
	data := p.payload
	if rel < 0 { // bytes from before the stream began
		if -rel >= int64(len(data)) {
			return
		}
		data, rel = data[-rel:], 0
	}
	d.pending = append(d.pending, pendingSeg{rel: rel, idx: idx, time: p.time, data: data})
	d.maxRel = max(d.maxRel, rel)
}

// delivered is a deduplicated run of bytes, tagged with the capture index at
// which the receiver could have read it.
type delivered struct {
	seg Segment
	at  int
}

func (t *tracker) finish() (*Conn, error) {
	c := &Conn{Client: t.client, Server: t.server, ClientFIN: t.dir[0].fin, ServerFIN: t.dir[1].fin}
	var runs [2][]delivered
	for i := range t.dir {
		d := &t.dir[i]
		sort.SliceStable(d.pending, func(a, b int) bool { return d.pending[a].rel < d.pending[b].rel })
		var next int64
		at := -1
		for _, s := range d.pending {
			end := s.rel + int64(len(s.data))
			if end <= next {
				continue // retransmission of bytes we already have
			}
			if s.rel > next {
				return nil, fmt.Errorf("connection %v -> %v: %d bytes missing at offset %d of the %s stream",
					t.client, t.server, s.rel-next, next, [2]string{"client", "server"}[i])
			}
			at = max(at, s.idx)
			data := bytes.Clone(s.data[next-s.rel:])
			runs[i] = append(runs[i], delivered{Segment{Time: s.time, FromClient: i == 0, Data: data}, at})
			next = end
		}
	}
	// Merge the directions; each run list is already ordered by "at".
	a, b := runs[0], runs[1]
	c.Segments = make([]Segment, 0, len(a)+len(b))
	for len(a) > 0 || len(b) > 0 {
		if len(b) == 0 || (len(a) > 0 && a[0].at <= b[0].at) {
			c.Segments, a = append(c.Segments, a[0].seg), a[1:]
		} else {
			c.Segments, b = append(c.Segments, b[0].seg), b[1:]
		}
	}
	return c, nil
}

// Handshake is one direction's stream split at the end of the AEMP
// pre-authentication phase.
type Handshake struct {
	// Lines are greeting1, greeting2 and the auth line, without their
	// LF (a CR, if present, is kept). Fewer than three means the
	// handshake was aborted.
	Lines []string
	// Data is everything after the auth line: the framed packets. It is
	// empty when there were fewer than three lines, and aliases the
	// stream passed to SplitHandshake.
	Data []byte
}

// SplitHandshake splits a direction's stream into the pre-auth lines and the
// data phase. Bytes after the last LF of an incomplete handshake are dropped,
// since they do not form a line.
func SplitHandshake(stream []byte) Handshake {
	var h Handshake
	rest := stream
	for len(h.Lines) < 3 {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			return h
		}
		h.Lines = append(h.Lines, string(rest[:i]))
		rest = rest[i+1:]
	}
	h.Data = rest
	return h
}
