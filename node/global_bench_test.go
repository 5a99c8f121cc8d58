package node

import (
	"fmt"
	"io"
	"log/slog"
	"testing"
	"time"
)

// benchNode is a quiet node the benchmark closes itself (a mesh per
// iteration would otherwise pile up until the benchmark ends).
func benchNode(b *testing.B, id string, binds, seeds []string) *Node {
	b.Helper()
	n, err := New(Config{NodeID: id, Secret: testSecret, Binds: binds, Seeds: seeds,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err == nil {
		err = n.Start()
	}
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// BenchmarkSeedConvergence: one Go seed, N Go nodes (all in this process)
// start at once, each registers a port in a family; the clock stops when a
// db_mon on the seed has seen all N registrations.
func BenchmarkSeedConvergence(b *testing.B) {
	for _, n := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("nodes=%d", n), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				addr := freeAddr(b)
				seed := benchNode(b, "seed", []string{addr}, []string{addr})
				seen := make(chan struct{})
				fired := false
				seed.DBMon("bench", func(db map[string]any, _, _, _ []string) {
					if len(db) == n && !fired {
						fired = true
						close(seen)
					}
				})
				b.StartTimer()
				start := time.Now()
				nodes := make([]*Node, n)
				for j := range nodes {
					nodes[j] = benchNode(b, fmt.Sprintf("n%d", j), []string{"127.0.0.1:0"}, []string{addr})
					p := nodes[j].NewPort(func(*Port, []any) {})
					nodes[j].DBReg("bench", p.ID(), nil)
				}
				select {
				case <-seen:
				case <-time.After(time.Minute):
					b.Fatal("mesh did not converge within a minute")
				}
				b.ReportMetric(float64(time.Since(start).Milliseconds()), "ms/converge")
				b.StopTimer()
				for _, x := range nodes {
					x.Close()
				}
				seed.Close()
			}
		})
	}
}

// BenchmarkDBMonFanout: M nodes monitor one family through a Go seed;
// the clock runs from a db_set on another node until every monitor has
// seen the change. Reported per change.
func BenchmarkDBMonFanout(b *testing.B) {
	for _, m := range []int{10, 50, 200} {
		b.Run(fmt.Sprintf("monitors=%d", m), func(b *testing.B) {
			addr := freeAddr(b)
			seed := benchNode(b, "seed", []string{addr}, []string{addr})
			defer seed.Close()
			setter := benchNode(b, "setter", []string{"127.0.0.1:0"}, []string{addr})
			defer setter.Close()
			got := make(chan string, m*4)
			for j := 0; j < m; j++ {
				x := benchNode(b, fmt.Sprintf("m%d", j), []string{"127.0.0.1:0"}, []string{addr})
				defer x.Close()
				x.DBMon("fan", func(_ map[string]any, added, changed, _ []string) {
					for _, k := range append(added, changed...) {
						got <- k
					}
				})
			}
			// wait until every monitor is registered and has the family
			setter.DBSet("fan", "warmup", 0)
			for j := 0; j < m; j++ {
				select {
				case <-got:
				case <-time.After(time.Minute):
					b.Fatal("monitors did not come up")
				}
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				setter.DBSet("fan", "k", i)
				for j := 0; j < m; j++ {
					<-got
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "us/change")
		})
	}
}
