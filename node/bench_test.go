package node

import (
	"io"
	"log/slog"
	"testing"
	"time"
)

// The typical small message of the protocol benchmarks.
var benchMsg = []any{"test", int64(123), "payload-string-0123456789"}

func quietNode(b testing.TB, id string, listen bool, framings []string) *Node {
	b.Helper()
	cfg := Config{NodeID: id, Framings: framings, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if listen {
		cfg.Binds = []string{"127.0.0.1:0"}
	}
	return testNode(b, cfg)
}

// BenchmarkLocalSnd: Snd to a local port until its handler has seen every
// message.
func BenchmarkLocalSnd(b *testing.B) {
	n := quietNode(b, "local", false, nil)
	done := make(chan struct{})
	count, want := 0, b.N
	p := n.NewPort(func(*Port, []any) {
		if count++; count == want {
			close(done)
		}
	})
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		n.Snd(p.ID(), benchMsg...)
	}
	<-done
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

// benchOneWay: node a sends b.N messages to a port on node b over
// loopback TCP; the clock stops when b's handler has seen the last one.
func benchOneWay(b *testing.B, framing string) {
	a := quietNode(b, "a", true, []string{framing})
	r := quietNode(b, "b", true, []string{framing})
	a.AddAddress("b", r.Binds()...)
	done := make(chan struct{}, 1)
	count, want := 0, 0
	p := r.NewPort(func(_ *Port, m []any) {
		if count++; count == want {
			done <- struct{}{}
		}
	})
	// warm up: the connection is made outside the timed part
	want = 1
	a.Snd(p.ID(), benchMsg...)
	<-done
	count, want = 0, b.N
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Snd(p.ID(), benchMsg...)
	}
	select {
	case <-done:
	case <-time.After(time.Minute):
		b.Fatalf("only %d of %d messages arrived", count, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}

func BenchmarkGoToGoOneWayJSON(b *testing.B) { benchOneWay(b, "json") }
func BenchmarkGoToGoOneWayCBOR(b *testing.B) { benchOneWay(b, "cbor") }

// BenchmarkGoToGoRoundTrip: ping-pong between ports on two nodes over
// loopback TCP (CBOR both ways), one message in flight at a time; each
// pong's handler sends the next ping, as an AEMP program would.
func BenchmarkGoToGoRoundTrip(b *testing.B) {
	a := quietNode(b, "a", true, nil)
	r := quietNode(b, "b", true, nil)
	a.AddAddress("b", r.Binds()...)
	r.AddAddress("a", a.Binds()...)
	done := make(chan struct{}, 1)
	left := 1
	var bp *Port
	ap := a.NewPort(func(*Port, []any) {
		if left--; left <= 0 {
			done <- struct{}{}
			return
		}
		a.Snd(bp.ID(), "ping", int64(left))
	})
	bp = r.NewPort(func(self *Port, m []any) { r.Snd(ap.ID(), "pong") })
	a.Snd(bp.ID(), "ping") // connect both ways outside the timed part
	<-done
	left = b.N
	b.ResetTimer()
	a.Snd(bp.ID(), "ping", int64(left))
	<-done
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/rtt")
}
