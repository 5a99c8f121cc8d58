//go:build unix

package node

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// benchRecvFromRaw: a peer that is only a socket (rawPeer) writes b.N
// frames of the typical message in 64 KiB writes to a port of the node;
// the clock stops when the port's handler has seen the last one. The
// node's cost per message (reading, decoding, finding and running the
// handler) is reported as process CPU time; the raw writer's share of it
// is a write syscall per 64 KiB.
func benchRecvFromRaw(b *testing.B, framing string) {
	n := quietNode(b, "dst", true, []string{framing})
	done := make(chan struct{})
	count, want := 0, b.N
	p := n.NewPort(func(*Port, []any) {
		if count++; count == want {
			close(done)
		}
	})
	_, name, _ := strings.Cut(p.ID(), "#")
	enc, err := protocol.Appender(framing)
	if err != nil {
		b.Fatal(err)
	}
	frame, err := enc(nil, protocol.Message{Port: name, Data: benchMsg})
	if err != nil {
		b.Fatal(err)
	}
	perWrite := (64 << 10) / len(frame)
	block := bytes.Repeat(frame, perWrite)
	s := rawPeer(b, n, framing)
	b.ReportAllocs()
	cpu0 := cpuTime()
	b.ResetTimer()
	go func() {
		for left := b.N; left > 0; left -= perWrite {
			if _, err := s.Conn.Write(block[:min(left, perWrite)*len(frame)]); err != nil {
				return // the benchmark reports the messages that did not arrive
			}
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("only %d of %d messages arrived", count, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/msg")
}

func BenchmarkRecvFromRawJSON(b *testing.B) { benchRecvFromRaw(b, "json") }
func BenchmarkRecvFromRawCBOR(b *testing.B) { benchRecvFromRaw(b, "cbor") }
