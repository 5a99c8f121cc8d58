package interop

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Perl-to-Perl baselines, measured with the message of node/bench_test.go
// (["test", 123, "payload-string-0123456789"] to a port) so that they can
// be set beside BenchmarkGoToGoOneWay{JSON,CBOR} and BenchmarkGoToGoRoundTrip:
//
//	go test -run '^$' -bench . ./interop/ ./node/
//
// Two Perl processes on loopback: a receiver (a seed) and a sender (its
// slave). Perl measures the time itself (Time::HiRes, same clock on both
// sides); ns/op is the wall time Go saw, pipes included.

// perlPair starts a receiver and a connected sender with the framing.
func perlPair(b *testing.B, framing string) (sender, receiver *Proc) {
	b.Helper()
	recvScript, err := readTestdata("bench_recv.pl")
	if err != nil {
		b.Fatal(err)
	}
	sendScript, err := readTestdata("bench_send.pl")
	if err != nil {
		b.Fatal(err)
	}
	framings := []string{framing}
	receiver = StartScript(b, Spec{NodeID: "bench_recv", Secret: testSecret, Framings: framings}, recvScript)
	ctx := timeout(b, 10*time.Second)
	if _, err := receiver.WaitLine(ctx, false, "ready "); err != nil {
		b.Fatal(err)
	}
	sender = StartScript(b, Spec{NodeID: "bench_send", Secret: testSecret, Framings: framings, Seeds: []string{receiver.Addr},
		Args: []string{"bench_recv#bench"}},
		sendScript)
	return sender, receiver
}

// result parses "<word> <count> <seconds>" and checks the count.
func result(b *testing.B, line string, n int) float64 {
	b.Helper()
	f := strings.Fields(line)
	if len(f) != 3 || f[1] != strconv.Itoa(n) {
		b.Fatalf("unexpected result line %q for %d messages", line, n)
	}
	sec, err := strconv.ParseFloat(f[2], 64)
	if err != nil || sec <= 0 {
		b.Fatalf("unexpected time in %q", line)
	}
	return sec
}

func benchPerlOneWay(b *testing.B, framing string) {
	RequirePerl(b)
	b.StopTimer()
	sender, receiver := perlPair(b, framing)
	// warm up: the connection is made outside the timed part
	sender.SendLine(b, "rtt 1")
	if _, err := sender.WaitLine(timeout(b, 10*time.Second), false, "rtt 1 "); err != nil {
		b.Fatal(err)
	}
	ctx := timeout(b, 2*time.Minute)
	b.StartTimer()
	sender.SendLine(b, fmt.Sprintf("oneway %d", b.N))
	line, err := receiver.WaitLine(ctx, false, "done ")
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	sec := result(b, line, b.N)
	b.ReportMetric(float64(b.N)/sec, "msgs/s")
}

func BenchmarkPerlToPerlOneWayJSON(b *testing.B) { benchPerlOneWay(b, "json") }
func BenchmarkPerlToPerlOneWayCBOR(b *testing.B) { benchPerlOneWay(b, "cbor") }

// BenchmarkPerlToPerlRoundTrip: ping-pong between ports on two Perl nodes
// (CBOR both ways), one message in flight at a time; each pong's callback
// sends the next ping.
func BenchmarkPerlToPerlRoundTrip(b *testing.B) {
	RequirePerl(b)
	b.StopTimer()
	sender, _ := perlPair(b, "cbor")
	sender.SendLine(b, "rtt 1")
	if _, err := sender.WaitLine(timeout(b, 10*time.Second), false, "rtt 1 "); err != nil {
		b.Fatal(err)
	}
	ctx := timeout(b, 2*time.Minute)
	want := fmt.Sprintf("rtt %d ", b.N)
	b.StartTimer()
	sender.SendLine(b, strings.TrimSpace(want))
	line, err := sender.WaitLine(ctx, false, want)
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	sec := result(b, line, b.N)
	b.ReportMetric(sec/float64(b.N)*1e6, "us/rtt")
}
