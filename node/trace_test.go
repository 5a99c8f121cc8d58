package node

import (
	"bytes"
	"strings"
	"sync"
	"testing"
)

// Trace lines from concurrent senders arrive whole, one per Write, with no
// locking in the writer (under -race an unserialised bytes.Buffer fails).
func TestTraceWritesAreSerialised(t *testing.T) {
	var buf bytes.Buffer
	n := testNode(t, Config{NodeID: "tr", Trace: &buf})
	p := n.NewPort(func(*Port, []any) {})
	const senders, each = 8, 50
	var wg sync.WaitGroup
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				n.Snd(p.ID(), "hello", strings.Repeat("x", 100))
			}
		}()
	}
	wg.Wait()
	n.traceMu.Lock()
	out := buf.String()
	n.traceMu.Unlock()
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != senders*each {
		t.Fatalf("%d trace lines, want %d", len(lines), senders*each)
	}
	for _, l := range lines {
		if !strings.HasPrefix(l, "SND tr <- [") || !strings.HasSuffix(l, `xxx"]`) {
			t.Fatalf("torn trace line %q", l)
		}
	}
}
