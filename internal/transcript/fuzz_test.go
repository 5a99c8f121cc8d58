package transcript

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// FuzzReadPcapBytes feeds arbitrary bytes to the reader. It must return an
// error or connections, never panic, and never hand back more payload than
// the input held (which also bounds its memory use).
func FuzzReadPcapBytes(f *testing.F) {
	for _, sc := range scenarios {
		b, err := os.ReadFile(filepath.Join(Dir(f), sc.name, "capture.pcap"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(script(append(slices.Clone(open), pkt{true, 1004, tcpACK, "def"}, pkt{true, 1001, tcpACK | tcpFIN, "abc"})...))
	for _, link := range []uint32{linkNull, linkRaw, linkLinuxSLL} {
		c := newCapture(binary.BigEndian, true, link)
		c.tcp(testEpoch, testClient, testServer, 1, tcpSYN, []byte("g1\ng2\nauth\n[]"))
		f.Add(c.buf)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		conns, err := ReadPcapBytes(b)
		if err != nil {
			if conns != nil {
				t.Fatal("connections returned with an error")
			}
			return
		}
		total := 0
		for _, c := range conns {
			for _, s := range c.Segments {
				if len(s.Data) == 0 {
					t.Fatal("empty segment")
				}
				total += len(s.Data)
			}
			for _, dir := range []bool{true, false} {
				st := c.Stream(dir)
				h := SplitHandshake(st)
				n := len(h.Data)
				for _, l := range h.Lines {
					n += len(l) + 1
				}
				if n > len(st) {
					t.Fatalf("handshake split %d bytes out of a %d-byte stream", n, len(st))
				}
			}
		}
		if total > len(b) {
			t.Fatalf("%d payload bytes from a %d-byte input", total, len(b))
		}
	})
}
