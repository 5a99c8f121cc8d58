//go:build unix

package node

import (
	"io"
	"syscall"
	"testing"
	"time"
)

// discardPeer authenticates against n as node "raw" (rawPeer) with the
// given framing and reads and drops everything n sends it, so that a
// benchmark measures the sending node alone.
func discardPeer(b testing.TB, n *Node, framing string) {
	b.Helper()
	s := rawPeer(b, n, framing)
	go io.Copy(io.Discard, s.Reader)
	// wait until sends go to the connection, not the connect queue
	for deadline := time.Now().Add(5 * time.Second); ; {
		r := n.lockRemote("raw")
		up := r.tr != nil && !r.holding
		r.mu.Unlock()
		if up {
			return
		}
		if time.Now().After(deadline) {
			b.Fatal("the discarding peer did not come up")
		}
		time.Sleep(time.Millisecond)
	}
}

// cpuTime is the CPU time (user + system) of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// sndPayload is a variable, not a constant: putting it into the message's
// []any costs an allocation, as it does for the strings a program sends.
var sndPayload = "payload-string-0123456789"

// benchSndRemote: Snd of the typical message to a remote node that reads
// and discards the bytes: the sending node's cost per message (the Snd
// call, encoding, the writer goroutine and its writes), as process CPU
// time per message and allocations per message.
func benchSndRemote(b *testing.B, framing string) {
	n := quietNode(b, "src", true, []string{framing})
	discardPeer(b, n, framing)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		n.Snd("raw#port", "test", int64(123), sndPayload)
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/msg")
}

func BenchmarkSndRemoteJSON(b *testing.B) { benchSndRemote(b, "json") }
func BenchmarkSndRemoteCBOR(b *testing.B) { benchSndRemote(b, "cbor") }

// TestSndToRemoteDoesNotAllocate: a Snd of constant strings and a small
// integer to a connected node encodes straight into the connection's
// buffer, so it allocates nothing, amortised over buffer chunks. An
// argument list that escapes (the compiler decides that from what the
// send path does with the values, see retain and encodedPrefix) costs
// an allocation per message.
func TestSndToRemoteDoesNotAllocate(t *testing.T) {
	for _, framing := range []string{"json", "cbor"} {
		n := quietNode(t, "src", true, []string{framing})
		discardPeer(t, n, framing)
		allocs := testing.AllocsPerRun(20000, func() {
			n.Snd("raw#port", "test", int64(123), "payload-string-0123456789")
		})
		if allocs > 0.2 {
			t.Errorf("%s: %.2f allocations per Snd, want about 0", framing, allocs)
		}
	}
}
