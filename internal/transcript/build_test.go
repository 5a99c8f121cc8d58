package transcript

import (
	"encoding/binary"
	"net/netip"
	"time"
)

// capture writes synthetic classic pcap files for the tests.
type capture struct {
	order binary.AppendByteOrder
	nano  bool
	link  uint32
	buf   []byte
}

func newCapture(order binary.AppendByteOrder, nano bool, link uint32) *capture {
	magic := uint32(0xa1b2c3d4)
	if nano {
		magic = 0xa1b23c4d
	}
	c := &capture{order: order, nano: nano, link: link}
	c.buf = order.AppendUint32(c.buf, magic)
	c.buf = order.AppendUint16(c.buf, 2) // version 2.4
	c.buf = order.AppendUint16(c.buf, 4)
	c.buf = order.AppendUint32(c.buf, 0) // thiszone
	c.buf = order.AppendUint32(c.buf, 0) // sigfigs
	c.buf = order.AppendUint32(c.buf, 65535)
	c.buf = order.AppendUint32(c.buf, link)
	return c
}

// record appends one raw frame.
func (c *capture) record(ts time.Time, frame []byte) {
	frac := uint32(ts.Nanosecond())
	if !c.nano {
		frac /= 1000
	}
	c.buf = c.order.AppendUint32(c.buf, uint32(ts.Unix()))
	c.buf = c.order.AppendUint32(c.buf, frac)
	c.buf = c.order.AppendUint32(c.buf, uint32(len(frame)))
	c.buf = c.order.AppendUint32(c.buf, uint32(len(frame)))
	c.buf = append(c.buf, frame...)
}

// tcp appends a TCP segment wrapped in IP and the capture's link layer.
func (c *capture) tcp(ts time.Time, src, dst netip.AddrPort, seq uint32, flags uint8, payload []byte) {
	c.record(ts, c.frame(ipPacket(src, dst, 6, tcpSegment(src.Port(), dst.Port(), seq, flags, payload))))
}

// frame adds the link-layer header for an IP packet.
func (c *capture) frame(ip []byte) []byte {
	v6 := ip[0]>>4 == 6
	etype := []byte{0x08, 0x00}
	if v6 {
		etype = []byte{0x86, 0xdd}
	}
	var hdr []byte
	switch c.link {
	case linkEthernet:
		hdr = append(make([]byte, 12), etype...)
	case linkLinuxSLL:
		hdr = append(make([]byte, 14), etype...)
	case linkNull:
		fam := uint32(2) // AF_INET; AF_INET6 is 24, 28 or 30 depending on the BSD
		if v6 {
			fam = 30
		}
		hdr = binary.LittleEndian.AppendUint32(nil, fam)
	}
	return append(hdr, ip...)
}

func ipPacket(src, dst netip.AddrPort, proto byte, body []byte) []byte {
	if src.Addr().Is4() {
		h := make([]byte, 20, 20+len(body))
		h[0] = 0x45
		binary.BigEndian.PutUint16(h[2:], uint16(20+len(body)))
		h[6] = 0x40 // DF
		h[8] = 64
		h[9] = proto
		s, d := src.Addr().As4(), dst.Addr().As4()
		copy(h[12:], s[:])
		copy(h[16:], d[:])
		return append(h, body...)
	}
	h := make([]byte, 40, 40+len(body))
	h[0] = 0x60
	binary.BigEndian.PutUint16(h[4:], uint16(len(body)))
	h[6] = proto
	h[7] = 64
	s, d := src.Addr().As16(), dst.Addr().As16()
	copy(h[8:], s[:])
	copy(h[24:], d[:])
	return append(h, body...)
}

func tcpSegment(sport, dport uint16, seq uint32, flags uint8, payload []byte) []byte {
	h := make([]byte, 20, 20+len(payload))
	binary.BigEndian.PutUint16(h[0:], sport)
	binary.BigEndian.PutUint16(h[2:], dport)
	binary.BigEndian.PutUint32(h[4:], seq)
	h[12] = 5 << 4
	h[13] = flags
	binary.BigEndian.PutUint16(h[14:], 65535)
	return append(h, payload...)
}

// pkt is one scripted segment of a test conversation between client and
// server; seq is absolute.
type pkt struct {
	fromClient bool
	seq        uint32
	flags      uint8
	data       string
}

var (
	testClient = netip.MustParseAddrPort("127.0.0.1:50000")
	testServer = netip.MustParseAddrPort("127.0.0.1:4040")
	testEpoch  = time.Unix(1795534449, 376828123).UTC()
)

// script writes pkts to an Ethernet capture, one millisecond apart.
func script(pkts ...pkt) []byte {
	c := newCapture(binary.LittleEndian, false, linkEthernet)
	for i, p := range pkts {
		src, dst := testClient, testServer
		if !p.fromClient {
			src, dst = dst, src
		}
		c.tcp(testEpoch.Add(time.Duration(i)*time.Millisecond), src, dst, p.seq, p.flags, []byte(p.data))
	}
	return c.buf
}

// open is the three-way handshake with client ISN 1000 and server ISN 5000,
// so client data starts at 1001 and server data at 5001.
var open = []pkt{
	{true, 1000, tcpSYN, ""},
	{false, 5000, tcpSYN | tcpACK, ""},
	{true, 1001, tcpACK, ""},
}
