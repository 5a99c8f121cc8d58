// Package transcript reads tcpdump captures of AEMP sessions and turns them
// into TCP connections with their reassembled byte streams, so wire-protocol
// tests can replay and compare against the exact bytes real Perl
// AnyEvent::MP nodes sent. It depends only on the standard library.
//
// Only classic pcap is understood (not pcapng), with Ethernet, Linux cooked
// (SLL), BSD null/loopback and raw IP link types, IPv4 and IPv6, and TCP.
package transcript

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Link-layer header types (https://www.tcpdump.org/linktypes.html).
const (
	linkNull     = 0
	linkEthernet = 1
	linkRaw      = 101
	linkLinuxSLL = 113
)

// TCP header flags used by the reassembler.
const (
	tcpFIN = 0x01
	tcpSYN = 0x02
	tcpACK = 0x10
)

// maxRecordSlack bounds a record's captured length beyond the file's snaplen.
// Some writers exceed the snaplen slightly, but a record much larger than it
// means a corrupt file; refusing it keeps malformed input from making us
// trust an arbitrary 32-bit length.
const maxRecordSlack = 1 << 20

// packet is one TCP segment decoded from a capture record.
type packet struct {
	time     time.Time
	src, dst netip.AddrPort
	seq      uint32
	flags    uint8
	payload  []byte // aliases the capture buffer
}

// pcapHeader is what the 24-byte global header tells us.
type pcapHeader struct {
	order    binary.ByteOrder
	nano     bool // timestamps carry nanoseconds instead of microseconds
	snaplen  uint32
	linkType uint32
}

func parseHeader(b []byte) (pcapHeader, error) {
	var h pcapHeader
	if len(b) < 24 {
		return h, errors.New("pcap: file shorter than the 24-byte global header")
	}
	// The magic is written in the writer's byte order, so reading it as
	// little-endian tells us both the byte order and the timestamp unit.
	switch binary.LittleEndian.Uint32(b) {
	case 0xa1b2c3d4:
		h.order = binary.LittleEndian
	case 0xa1b23c4d:
		h.order, h.nano = binary.LittleEndian, true
	case 0xd4c3b2a1:
		h.order = binary.BigEndian
	case 0x4d3cb2a1:
		h.order, h.nano = binary.BigEndian, true
	case 0x0a0d0d0a:
		return h, errors.New("pcap: pcapng is not supported; convert with `editcap -F pcap`")
	default:
		return h, fmt.Errorf("pcap: unknown magic %#08x", binary.LittleEndian.Uint32(b))
	}
	if major := h.order.Uint16(b[4:]); major != 2 {
		return h, fmt.Errorf("pcap: unsupported format version %d", major)
	}
	h.snaplen = h.order.Uint32(b[16:])
	// The upper bits of the link type field may carry FCS information.
	h.linkType = h.order.Uint32(b[20:]) & 0xffff
	switch h.linkType {
	case linkNull, linkEthernet, linkRaw, linkLinuxSLL:
	default:
		return h, fmt.Errorf("pcap: unsupported link type %d", h.linkType)
	}
	return h, nil
}

// readPackets decodes every TCP segment in a classic pcap file, in capture
// order. Records that are not IPv4/IPv6 TCP are skipped; records that claim
// to be but are malformed or truncated are an error, because silently losing
// bytes would make the reassembled streams lie.
func readPackets(b []byte) ([]packet, error) {
	h, err := parseHeader(b)
	if err != nil {
		return nil, err
	}
	limit := uint64(h.snaplen) + maxRecordSlack
	var pkts []packet
	rest := b[24:]
	for n := 0; len(rest) > 0; n++ {
		if len(rest) < 16 {
			return nil, fmt.Errorf("pcap: record %d: truncated record header", n)
		}
		sec := h.order.Uint32(rest)
		frac := h.order.Uint32(rest[4:])
		caplen := h.order.Uint32(rest[8:])
		// rest[12:16] is the original length; truncation that matters is
		// detected from the IP length fields instead.
		rest = rest[16:]
		if uint64(caplen) > limit {
			return nil, fmt.Errorf("pcap: record %d: length %d exceeds snaplen %d", n, caplen, h.snaplen)
		}
		if uint64(caplen) > uint64(len(rest)) {
			return nil, fmt.Errorf("pcap: record %d: length %d but only %d bytes left", n, caplen, len(rest))
		}
		frame := rest[:caplen]
		rest = rest[caplen:]

		nsec := int64(frac)
		if !h.nano {
			nsec *= 1000
		}
		p, ok, err := decodeFrame(h.linkType, frame)
		if err != nil {
			return nil, fmt.Errorf("pcap: record %d: %w", n, err)
		}
		if !ok {
			continue
		}
		p.time = time.Unix(int64(sec), nsec).UTC()
		pkts = append(pkts, p)
	}
	return pkts, nil
}

// decodeFrame strips the link-layer header and hands the IP packet on.
// ok is false for frames that are not TCP over IP.
func decodeFrame(linkType uint32, f []byte) (p packet, ok bool, err error) {
	switch linkType {
	case linkEthernet:
		if len(f) < 14 {
			return p, false, errors.New("short Ethernet header")
		}
		etype, off := binary.BigEndian.Uint16(f[12:]), 14
		// Step over 802.1Q / 802.1ad VLAN tags; each iteration consumes
		// four bytes, so the loop ends.
		for etype == 0x8100 || etype == 0x88a8 {
			if len(f) < off+4 {
				return p, false, errors.New("short VLAN tag")
			}
			etype, off = binary.BigEndian.Uint16(f[off+2:]), off+4
		}
		return decodeEtherType(etype, f[off:])
	case linkLinuxSLL:
		if len(f) < 16 {
			return p, false, errors.New("short Linux SLL header")
		}
		return decodeEtherType(binary.BigEndian.Uint16(f[14:]), f[16:])
	case linkNull:
		// The 4-byte address family is in the writer's host byte order
		// and its IPv6 value differs between BSDs, so the IP version
		// nibble is the more reliable guide.
		if len(f) < 4 {
			return p, false, errors.New("short loopback header")
		}
		return decodeIP(f[4:])
	default: // linkRaw
		return decodeIP(f)
	}
}

func decodeEtherType(etype uint16, b []byte) (packet, bool, error) {
	switch etype {
	case 0x0800:
		return decodeIPv4(b)
	case 0x86dd:
		return decodeIPv6(b)
	}
	return packet{}, false, nil // ARP and friends
}

func decodeIP(b []byte) (packet, bool, error) {
	if len(b) == 0 {
		return packet{}, false, errors.New("empty IP packet")
	}
	switch b[0] >> 4 {
	case 4:
		return decodeIPv4(b)
	case 6:
		return decodeIPv6(b)
	}
	return packet{}, false, fmt.Errorf("unknown IP version %d", b[0]>>4)
}

func decodeIPv4(b []byte) (packet, bool, error) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return packet{}, false, errors.New("bad IPv4 header")
	}
	ihl := int(b[0]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(b[2:]))
	if total == 0 {
		total = len(b) // segmentation offload leaves the length zero
	}
	if ihl < 20 || total < ihl {
		return packet{}, false, fmt.Errorf("bad IPv4 lengths (header %d, total %d)", ihl, total)
	}
	if total > len(b) {
		return packet{}, false, fmt.Errorf("IPv4 packet truncated (%d of %d bytes captured)", len(b), total)
	}
	if b[9] != 6 {
		return packet{}, false, nil
	}
	// Fragments would need IP reassembly; loopback TCP never fragments, so
	// refuse rather than hand back a stream with holes.
	if frag := binary.BigEndian.Uint16(b[6:]); frag&0x3fff != 0 {
		return packet{}, false, errors.New("fragmented IPv4 TCP is not supported")
	}
	src := netip.AddrFrom4([4]byte(b[12:16]))
	dst := netip.AddrFrom4([4]byte(b[16:20]))
	return decodeTCP(src, dst, b[ihl:total])
}

func decodeIPv6(b []byte) (packet, bool, error) {
	if len(b) < 40 || b[0]>>4 != 6 {
		return packet{}, false, errors.New("bad IPv6 header")
	}
	plen := int(binary.BigEndian.Uint16(b[4:]))
	if 40+plen > len(b) {
		return packet{}, false, fmt.Errorf("IPv6 packet truncated (%d of %d bytes captured)", len(b), 40+plen)
	}
	src := netip.AddrFrom16([16]byte(b[8:24]))
	dst := netip.AddrFrom16([16]byte(b[24:40]))
	next, rest := b[6], b[40:40+plen]
	for {
		switch next {
		case 6:
			return decodeTCP(src, dst, rest)
		case 0, 43, 60, 51: // hop-by-hop, routing, destination options, AH
			if len(rest) < 8 {
				return packet{}, false, errors.New("short IPv6 extension header")
			}
			n := (int(rest[1]) + 1) * 8
			if next == 51 {
				n = (int(rest[1]) + 2) * 4
			}
			if n > len(rest) {
				return packet{}, false, errors.New("IPv6 extension header overruns packet")
			}
			// Every header is at least 8 bytes, so this loop terminates.
			next, rest = rest[0], rest[n:]
		case 44:
			return packet{}, false, errors.New("fragmented IPv6 is not supported")
		default:
			return packet{}, false, nil
		}
	}
}

func decodeTCP(src, dst netip.Addr, b []byte) (packet, bool, error) {
	if len(b) < 20 {
		return packet{}, false, errors.New("short TCP header")
	}
	off := int(b[12]>>4) * 4
	if off < 20 || off > len(b) {
		return packet{}, false, fmt.Errorf("bad TCP data offset %d", off)
	}
	return packet{
		src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(b[0:])),
		dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(b[2:])),
		seq:     binary.BigEndian.Uint32(b[4:]),
		flags:   b[13],
		payload: b[off:],
	}, true, nil
}
