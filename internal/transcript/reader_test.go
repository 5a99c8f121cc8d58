package transcript

import (
	"bytes"
	"encoding/binary"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestReadPcapFormats(t *testing.T) {
	v4c, v4s := testClient, testServer
	v6c := netip.MustParseAddrPort("[::1]:50000")
	v6s := netip.MustParseAddrPort("[::1]:4040")
	tests := []struct {
		name           string
		order          binary.AppendByteOrder
		nano           bool
		link           uint32
		client, server netip.AddrPort
	}{
		{"ethernet-le-usec-v4", binary.LittleEndian, false, linkEthernet, v4c, v4s},
		{"ethernet-be-usec-v6", binary.BigEndian, false, linkEthernet, v6c, v6s},
		{"ethernet-le-nsec-v4", binary.LittleEndian, true, linkEthernet, v4c, v4s},
		{"ethernet-be-nsec-v6", binary.BigEndian, true, linkEthernet, v6c, v6s},
		{"sll-le-usec-v4", binary.LittleEndian, false, linkLinuxSLL, v4c, v4s},
		{"sll-be-nsec-v6", binary.BigEndian, true, linkLinuxSLL, v6c, v6s},
		{"null-le-usec-v4", binary.LittleEndian, false, linkNull, v4c, v4s},
		{"null-be-usec-v6", binary.BigEndian, false, linkNull, v6c, v6s},
		{"raw-le-nsec-v4", binary.LittleEndian, true, linkRaw, v4c, v4s},
		{"raw-be-usec-v6", binary.BigEndian, false, linkRaw, v6c, v6s},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCapture(tt.order, tt.nano, tt.link)
			ts := func(i int) time.Time { return testEpoch.Add(time.Duration(i) * time.Millisecond) }
			c.tcp(ts(0), tt.client, tt.server, 1000, tcpSYN, nil)
			c.tcp(ts(1), tt.server, tt.client, 5000, tcpSYN|tcpACK, nil)
			c.tcp(ts(2), tt.client, tt.server, 1001, tcpACK, []byte("hello\n"))
			c.tcp(ts(3), tt.server, tt.client, 5001, tcpACK, []byte("world\n"))
			c.tcp(ts(4), tt.client, tt.server, 1007, tcpACK|tcpFIN, nil)
			conns, err := ReadPcapBytes(c.buf)
			if err != nil {
				t.Fatal(err)
			}
			if len(conns) != 1 {
				t.Fatalf("%d connections, want 1", len(conns))
			}
			got := conns[0]
			if got.Client != tt.client || got.Server != tt.server {
				t.Errorf("endpoints %v -> %v", got.Client, got.Server)
			}
			if s := string(got.Stream(true)); s != "hello\n" {
				t.Errorf("client stream %q", s)
			}
			if s := string(got.Stream(false)); s != "world\n" {
				t.Errorf("server stream %q", s)
			}
			if !got.ClientFIN || got.ServerFIN {
				t.Errorf("FIN client=%v server=%v, want true false", got.ClientFIN, got.ServerFIN)
			}
			want := ts(2)
			if !tt.nano {
				want = want.Truncate(time.Microsecond)
			}
			if len(got.Segments) != 2 || !got.Segments[0].Time.Equal(want) {
				t.Errorf("segments %+v, first want time %v", got.Segments, want)
			}
		})
	}
}

func TestReassembly(t *testing.T) {
	type seg struct {
		fromClient bool
		data       string
	}
	tests := []struct {
		name  string
		pkts  []pkt
		conns int
		segs  []seg // of the last connection
		err   string
		finC  bool
		finS  bool
	}{
		{
			name:  "in order with FINs",
			pkts:  append(slices.Clone(open), pkt{true, 1001, tcpACK, "ab"}, pkt{false, 5001, tcpACK, "xy"}, pkt{true, 1003, tcpACK | tcpFIN, "c"}, pkt{false, 5003, tcpACK | tcpFIN, ""}),
			conns: 1, segs: []seg{{true, "ab"}, {false, "xy"}, {true, "c"}}, finC: true, finS: true,
		},
		{
			// "def" arrives first but is only readable once "abc" fills the
			// hole, so it is ordered after the server's "xy".
			name:  "out of order",
			pkts:  append(slices.Clone(open), pkt{true, 1004, tcpACK, "def"}, pkt{false, 5001, tcpACK, "xy"}, pkt{true, 1001, tcpACK, "abc"}),
			conns: 1, segs: []seg{{false, "xy"}, {true, "abc"}, {true, "def"}},
		},
		{
			name:  "retransmission dropped",
			pkts:  append(slices.Clone(open), pkt{true, 1001, tcpACK, "abc"}, pkt{true, 1001, tcpACK, "abc"}, pkt{true, 1004, tcpACK, "d"}),
			conns: 1, segs: []seg{{true, "abc"}, {true, "d"}},
		},
		{
			name:  "partial overlap keeps new bytes only",
			pkts:  append(slices.Clone(open), pkt{true, 1001, tcpACK, "abcd"}, pkt{true, 1003, tcpACK, "cdef"}),
			conns: 1, segs: []seg{{true, "abcd"}, {true, "ef"}},
		},
		{
			name: "sequence numbers wrap around",
			pkts: []pkt{
				{true, 0xfffffffd, tcpSYN, ""}, {false, 5000, tcpSYN | tcpACK, ""},
				{true, 0xfffffffe, tcpACK, "ab"}, {true, 0, tcpACK, "cd"}, {true, 2, tcpACK, "ef"},
			},
			conns: 1, segs: []seg{{true, "ab"}, {true, "cd"}, {true, "ef"}},
		},
		{
			name:  "bytes before the stream start are trimmed",
			pkts:  append(slices.Clone(open), pkt{true, 999, tcpACK, "!!ab"}),
			conns: 1, segs: []seg{{true, "ab"}},
		},
		{
			name:  "SYN data",
			pkts:  []pkt{{true, 1000, tcpSYN, "fast"}, {false, 5000, tcpSYN | tcpACK, ""}, {true, 1005, tcpACK, "open"}},
			conns: 1, segs: []seg{{true, "fast"}, {true, "open"}},
		},
		{
			name:  "missing SYN-ACK",
			pkts:  []pkt{{true, 1000, tcpSYN, ""}, {false, 7001, tcpACK, "srv"}, {false, 7004, tcpACK, "!"}},
			conns: 1, segs: []seg{{false, "srv"}, {false, "!"}},
		},
		{
			name:  "retransmitted SYN is the same connection",
			pkts:  append([]pkt{{true, 1000, tcpSYN, ""}}, append(slices.Clone(open), pkt{true, 1001, tcpACK, "a"})...),
			conns: 1, segs: []seg{{true, "a"}},
		},
		{
			name: "port reuse starts a new connection",
			pkts: append(append(slices.Clone(open), pkt{true, 1001, tcpACK | tcpFIN, "old"}),
				pkt{true, 9000, tcpSYN, ""}, pkt{false, 3000, tcpSYN | tcpACK, ""}, pkt{true, 9001, tcpACK, "new"}),
			conns: 2, segs: []seg{{true, "new"}},
		},
		{
			name:  "no SYN: ignored",
			pkts:  []pkt{{true, 1001, tcpACK, "mid"}, {false, 5001, tcpACK, "stream"}},
			conns: 0,
		},
		{
			name:  "refused: SYN then RST",
			pkts:  []pkt{{true, 1000, tcpSYN, ""}, {false, 0, 0x04 | tcpACK, ""}},
			conns: 1,
		},
		{
			name: "hole is an error",
			pkts: append(slices.Clone(open), pkt{true, 1001, tcpACK, "ab"}, pkt{true, 1010, tcpACK, "zz"}),
			err:  "7 bytes missing at offset 2 of the client stream",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := ReadPcapBytes(script(tt.pkts...))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(conns) != tt.conns {
				t.Fatalf("%d connections, want %d", len(conns), tt.conns)
			}
			if tt.conns == 0 {
				return
			}
			c := conns[len(conns)-1]
			var got []seg
			for _, s := range c.Segments {
				got = append(got, seg{s.FromClient, string(s.Data)})
			}
			if !slices.Equal(got, tt.segs) {
				t.Errorf("segments %+v, want %+v", got, tt.segs)
			}
			if c.ClientFIN != tt.finC || c.ServerFIN != tt.finS {
				t.Errorf("FIN client=%v server=%v, want %v %v", c.ClientFIN, c.ServerFIN, tt.finC, tt.finS)
			}
			if c.Client != testClient || c.Server != testServer {
				t.Errorf("endpoints %v -> %v", c.Client, c.Server)
			}
		})
	}
}

// TestSegmentDataIsCopied makes sure callers may keep or change the capture
// buffer without touching returned data.
func TestSegmentDataIsCopied(t *testing.T) {
	b := script(append(slices.Clone(open), pkt{true, 1001, tcpACK, "abc"})...)
	conns, err := ReadPcapBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	copy(b[len(b)-3:], "xyz")
	if s := string(conns[0].Stream(true)); s != "abc" {
		t.Errorf("stream changed with the input buffer: %q", s)
	}
}

func TestSkipsNonTCP(t *testing.T) {
	c := newCapture(binary.LittleEndian, false, linkEthernet)
	c.record(testEpoch, append(make([]byte, 12), 0x08, 0x06, 1, 2, 3)) // ARP
	udp := ipPacket(testClient, testServer, 17, make([]byte, 8))
	c.record(testEpoch, c.frame(udp))
	for _, p := range open {
		src, dst := testClient, testServer
		if !p.fromClient {
			src, dst = dst, src
		}
		c.tcp(testEpoch, src, dst, p.seq, p.flags, nil)
	}
	conns, err := ReadPcapBytes(c.buf)
	if err != nil || len(conns) != 1 {
		t.Fatalf("got %d connections, %v; want 1", len(conns), err)
	}
}

func TestReadPcapErrors(t *testing.T) {
	good := script(open...)
	hdr := good[:24]
	le := binary.LittleEndian
	withRecord := func(caplen uint32, frame []byte) []byte {
		b := bytes.Clone(hdr)
		b = le.AppendUint32(b, 1)
		b = le.AppendUint32(b, 0)
		b = le.AppendUint32(b, caplen)
		b = le.AppendUint32(b, caplen)
		return append(b, frame...)
	}
	eth := func(ip []byte) []byte { return append(append(make([]byte, 12), 0x08, 0x00), ip...) }
	tcp := ipPacket(testClient, testServer, 6, tcpSegment(1, 2, 3, tcpSYN, nil))
	patch := func(b []byte, off int, v ...byte) []byte {
		b = bytes.Clone(b)
		copy(b[off:], v)
		return b
	}
	c6 := netip.MustParseAddrPort("[::1]:1")
	s6 := netip.MustParseAddrPort("[::1]:2")
	eth6 := func(ip []byte) []byte { return append(append(make([]byte, 12), 0x86, 0xdd), ip...) }
	v6 := func(proto byte, body []byte) []byte {
		f := eth6(ipPacket(c6, s6, proto, body))
		return withRecord(uint32(len(f)), f)
	}
	tests := []struct {
		name  string
		input []byte
		err   string
	}{
		{"empty", nil, "shorter than"},
		{"short header", hdr[:23], "shorter than"},
		{"bad magic", patch(hdr, 0, 1, 2, 3, 4), "unknown magic"},
		{"pcapng", patch(hdr, 0, 0x0a, 0x0d, 0x0d, 0x0a), "pcapng"},
		{"version", patch(hdr, 4, 3), "version 3"},
		{"link type", patch(hdr, 20, 105), "link type 105"},
		{"truncated record header", append(bytes.Clone(hdr), 1, 2, 3), "truncated record header"},
		{"record overruns file", withRecord(100, make([]byte, 10)), "only 10 bytes left"},
		{"record too large", withRecord(65535+maxRecordSlack+1, nil), "exceeds snaplen"},
		{"short ethernet", withRecord(5, make([]byte, 5)), "short Ethernet"},
		{"short VLAN", withRecord(16, append(make([]byte, 12), 0x81, 0x00, 0, 0)), "short VLAN"},
		{"bad IHL", withRecord(uint32(len(tcp)+14), eth(patch(tcp, 0, 0x44))), "bad IPv4 lengths"},
		{"IPv4 header cut", withRecord(24, eth(tcp)[:24]), "bad IPv4 header"},
		{"IPv4 cut by snaplen", withRecord(uint32(len(tcp)+4), eth(tcp)[:len(tcp)+4]), "IPv4 packet truncated (30 of 40"},
		{"IPv4 total too long", withRecord(uint32(len(tcp)+14), eth(patch(tcp, 2, 0x01, 0x00))), "IPv4 packet truncated"},
		{"IPv4 fragment", withRecord(uint32(len(tcp)+14), eth(patch(tcp, 6, 0x20))), "fragmented"},
		{"TCP data offset", withRecord(uint32(len(tcp)+14), eth(patch(tcp, 32, 0x40))), "bad TCP data offset"},
		{"IPv6 header cut", withRecord(40, eth6(make([]byte, 26))), "bad IPv6 header"},
		{"IPv6 payload cut", withRecord(54+10, eth6(patch(ipPacket(c6, s6, 6, make([]byte, 10)), 4, 0, 99))), "IPv6 packet truncated"},
		{"IPv6 fragment", v6(44, make([]byte, 8)), "fragmented IPv6"},
		{"IPv6 extension overrun", v6(0, []byte{6, 5, 0, 0, 0, 0, 0, 0}), "overruns"},
		{"IPv6 short extension", v6(60, []byte{6, 0, 0}), "short IPv6 extension"},
		{"short TCP", withRecord(uint32(len(tcp)+14-20), eth(patch(tcp, 2, 0, 20))[:len(tcp)+14-20]), "short TCP header"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			conns, err := ReadPcapBytes(tt.input)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("got %d connections, error %v; want error containing %q", len(conns), err, tt.err)
			}
		})
	}
}

func TestReadPcapFileErrors(t *testing.T) {
	if _, err := ReadPcap(t.TempDir() + "/missing.pcap"); err == nil {
		t.Error("no error for a missing file")
	}
}

func TestSplitHandshake(t *testing.T) {
	tests := []struct {
		name   string
		stream string
		lines  []string
		data   string
	}{
		{"empty", "", nil, ""},
		{"partial line", "aemp;1;x", nil, ""},
		{"two lines (refused)", "g1\ng2\n", []string{"g1", "g2"}, ""},
		{"two lines and a partial auth", "g1\ng2\nhmac", []string{"g1", "g2"}, ""},
		{"complete, no data", "g1\ng2\nauth\n", []string{"g1", "g2", "auth"}, ""},
		{"data keeps LFs", "g1\ng2\nauth\n[1]\n[2]", []string{"g1", "g2", "auth"}, "[1]\n[2]"},
		{"CR kept", "g1\r\ng2\r\nauth\r\n\x82", []string{"g1\r", "g2\r", "auth\r"}, "\x82"},
		{"empty lines count", "\n\n\nx", []string{"", "", ""}, "x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := SplitHandshake([]byte(tt.stream))
			if !slices.Equal(h.Lines, tt.lines) || string(h.Data) != tt.data {
				t.Errorf("got %q %q, want %q %q", h.Lines, h.Data, tt.lines, tt.data)
			}
		})
	}
}

// TestIPv6ExtensionHeaders checks that hop-by-hop and destination options
// headers are stepped over to reach TCP.
func TestIPv6ExtensionHeaders(t *testing.T) {
	c6 := netip.MustParseAddrPort("[2001:db8::1]:50000")
	s6 := netip.MustParseAddrPort("[2001:db8::2]:4040")
	c := newCapture(binary.LittleEndian, false, linkRaw)
	tcp := tcpSegment(c6.Port(), s6.Port(), 1000, tcpSYN, []byte("x"))
	ext := append([]byte{60, 0, 1, 4, 0, 0, 0, 0}, // hop-by-hop, next: destination options
		append([]byte{6, 1}, make([]byte, 14)...)...) // destination options (16 bytes), next: TCP
	c.record(testEpoch, ipPacket(c6, s6, 0, append(ext, tcp...)))
	conns, err := ReadPcapBytes(c.buf)
	if err != nil || len(conns) != 1 {
		t.Fatalf("got %d connections, %v; want 1", len(conns), err)
	}
	if conns[0].Client != c6 || string(conns[0].Stream(true)) != "x" {
		t.Errorf("got %v %q", conns[0].Client, conns[0].Stream(true))
	}
}
