package transcript

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// This file parses the text dumps that were written next to each capture
// when it was recorded (by a separate tool), so the tests compare our
// reassembly against an independent one.

// dumpSeg is one "--- <time> <src> -> <dst> (<n> bytes)" entry of streams.txt.
type dumpSeg struct {
	time       string // seconds.microseconds, as printed
	fromClient bool
	data       []byte
}

// dumpConn is one "===== connection" block of streams.txt or decoded.txt.
type dumpConn struct {
	client, server netip.AddrPort
	segs           []dumpSeg          // streams.txt only
	lines          [2][]string        // text lines per direction (0 = client); streams.txt: all, decoded.txt: handshake
	pkts           [2][][]byte        // decoded.txt only: packets per direction
	flags          [2]map[string]bool // "FIN"/"RST" seen per direction
}

func dirIndex(fromClient bool) int {
	if fromClient {
		return 0
	}
	return 1
}

var (
	streamsConnRE = regexp.MustCompile(`^===== connection (\S+) <-> (\S+) \(client/connector: (\S+)\) =====$`)
	streamsSegRE  = regexp.MustCompile(`^--- (\d+\.\d{6}) (\d+) -> (\d+) \((\d+) bytes\)$`)
	flagRE        = regexp.MustCompile(`^(?:--- )?\d+\.\d{6} (\d+)->(\d+) (FIN|RST)$`)
	decodedConnRE = regexp.MustCompile(`^===== connection (\S+) <-> (\S+); connector = port (\d+) =====$`)
	decodedLineRE = regexp.MustCompile(`^\d+\.\d{6}\s+(\d+) -> (\d+)\s+(greeting1|greeting2\(nonce\)|auth): (.*)  \(\+LF\)$`)
	decodedPktRE  = regexp.MustCompile(`^\d+\.\d{6}\s+(\d+) -> (\d+)\s+pkt#(\d+) (JSON|CBOR) (.*)$`)
	decodedDiagRE = regexp.MustCompile(`^\s+diag: `)
)

// newDumpConn builds a block from its two endpoints and the connector's port.
func newDumpConn(tb testing.TB, a, b string, clientPort uint16) *dumpConn {
	tb.Helper()
	x, err1 := netip.ParseAddrPort(a)
	y, err2 := netip.ParseAddrPort(b)
	if err1 != nil || err2 != nil {
		tb.Fatalf("bad endpoints %q %q", a, b)
	}
	if y.Port() == clientPort {
		x, y = y, x
	}
	if x.Port() != clientPort {
		tb.Fatalf("connector port %d is neither %s nor %s", clientPort, a, b)
	}
	return &dumpConn{client: x, server: y, flags: [2]map[string]bool{{}, {}}}
}

// fromClient tells the direction of "<src> -> <dst>" by port.
func (c *dumpConn) fromClient(tb testing.TB, src, dst string) bool {
	tb.Helper()
	cp, sp := strconv.Itoa(int(c.client.Port())), strconv.Itoa(int(c.server.Port()))
	switch {
	case src == cp && dst == sp:
		return true
	case src == sp && dst == cp:
		return false
	}
	tb.Fatalf("%s -> %s does not belong to %v <-> %v", src, dst, c.client, c.server)
	return false
}

func readLines(tb testing.TB, path string) []string {
	tb.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		tb.Fatal(err)
	}
	// Split on LF only: a CR in the data must stay visible.
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

// parseStreams reads streams.txt. A segment's text is printed raw, followed
// by a newline if it did not end in one, so the byte count in its header
// decides whether the last LF belongs to the data; binary is "HEX: ...".
func parseStreams(tb testing.TB, path string) []*dumpConn {
	tb.Helper()
	var conns []*dumpConn
	var cur *dumpConn
	var seg *dumpSeg
	var want int
	var text []string
	flush := func() {
		if seg == nil {
			return
		}
		if len(text) == 1 && strings.HasPrefix(text[0], "HEX: ") {
			b, err := hex.DecodeString(strings.TrimPrefix(text[0], "HEX: "))
			if err != nil {
				tb.Fatalf("%s: %v", path, err)
			}
			seg.data = b
		} else {
			s := strings.Join(text, "\n")
			if len(s)+1 == want {
				s += "\n"
			}
			seg.data = []byte(s)
			i := dirIndex(seg.fromClient)
			cur.lines[i] = append(cur.lines[i], strings.Split(strings.TrimSuffix(s, "\n"), "\n")...)
		}
		if len(seg.data) != want {
			tb.Fatalf("%s: segment at %s has %d bytes, header says %d", path, seg.time, len(seg.data), want)
		}
		cur.segs = append(cur.segs, *seg)
		seg, text = nil, nil
	}
	for _, line := range readLines(tb, path) {
		if m := streamsConnRE.FindStringSubmatch(line); m != nil {
			flush()
			cp, err := netip.ParseAddrPort(m[3])
			if err != nil {
				tb.Fatal(err)
			}
			cur = newDumpConn(tb, m[1], m[2], cp.Port())
			conns = append(conns, cur)
			continue
		}
		if cur == nil {
			tb.Fatalf("%s: text before the first connection: %q", path, line)
		}
		if m := streamsSegRE.FindStringSubmatch(line); m != nil {
			flush()
			seg = &dumpSeg{time: m[1], fromClient: cur.fromClient(tb, m[2], m[3])}
			want, _ = strconv.Atoi(m[4])
			continue
		}
		if m := flagRE.FindStringSubmatch(line); m != nil {
			flush()
			cur.flags[dirIndex(cur.fromClient(tb, m[1], m[2]))][m[3]] = true
			continue
		}
		if seg == nil {
			tb.Fatalf("%s: unexpected line %q", path, line)
		}
		text = append(text, line)
	}
	flush()
	return conns
}

// parseDecoded reads decoded.txt: the handshake lines and one line per
// packet, JSON as the raw text and CBOR as hex.
func parseDecoded(tb testing.TB, path string) []*dumpConn {
	tb.Helper()
	var conns []*dumpConn
	var cur *dumpConn
	order := []string{"greeting1", "greeting2(nonce)", "auth"}
	for _, line := range readLines(tb, path) {
		if m := decodedConnRE.FindStringSubmatch(line); m != nil {
			port, _ := strconv.Atoi(m[3])
			cur = newDumpConn(tb, m[1], m[2], uint16(port))
			conns = append(conns, cur)
			continue
		}
		if line == "" || decodedDiagRE.MatchString(line) {
			continue
		}
		if cur == nil {
			tb.Fatalf("%s: text before the first connection: %q", path, line)
		}
		if m := decodedLineRE.FindStringSubmatch(line); m != nil {
			i := dirIndex(cur.fromClient(tb, m[1], m[2]))
			if n := len(cur.lines[i]); n >= len(order) || order[n] != m[3] || len(cur.pkts[i]) > 0 {
				tb.Fatalf("%s: handshake line out of order: %q", path, line)
			}
			cur.lines[i] = append(cur.lines[i], m[4])
			continue
		}
		if m := decodedPktRE.FindStringSubmatch(line); m != nil {
			i := dirIndex(cur.fromClient(tb, m[1], m[2]))
			if n, _ := strconv.Atoi(m[3]); n != len(cur.pkts[i])+1 {
				tb.Fatalf("%s: packet numbers out of order at %q", path, line)
			}
			p := []byte(m[5])
			if m[4] == "CBOR" {
				var err error
				if p, err = hex.DecodeString(m[5]); err != nil {
					tb.Fatalf("%s: %v", path, err)
				}
			}
			cur.pkts[i] = append(cur.pkts[i], p)
			continue
		}
		if m := flagRE.FindStringSubmatch(line); m != nil {
			cur.flags[dirIndex(cur.fromClient(tb, m[1], m[2]))][m[3]] = true
			continue
		}
		tb.Fatalf("%s: unexpected line %q", path, line)
	}
	return conns
}

// countBlocks counts "===== connection" headers with a plain scan, so the
// connection-count test does not depend on the parsers above.
func countBlocks(tb testing.TB, path string) int {
	tb.Helper()
	f, err := os.Open(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	n := 0
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "===== connection") {
			n++
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatal(err)
	}
	return n
}

// fixturePath joins a scenario file name onto the fixture directory.
func fixturePath(tb testing.TB, scenario, name string) string {
	return filepath.Join(Dir(tb), scenario, name)
}

// fmtTime prints a segment time the way the dumps do.
func fmtTime(s Segment) string {
	return fmt.Sprintf("%d.%06d", s.Time.Unix(), s.Time.Nanosecond()/1000)
}
