package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// logs collects the records of the mesh's Go nodes (Perl nodes: see
// interop).
func TestLogsCollectsFromGoNodes(t *testing.T) {
	addr := freeAddr(t)
	seed := startNode(t, node.Config{NodeID: "gseed", Binds: []string{addr}, Seeds: []string{addr}})
	worker := startNode(t, node.Config{NodeID: "worker", Seeds: []string{addr}})
	waitUp(t, seed, "worker")
	rcFor(t, addr, testSecret)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb syncBuffer
	done := make(chan int, 1)
	go func() { done <- runContext(ctx, []string{"logs", "--level", "debug"}, &out, &errb) }()
	// every node logs (at debug) that it starts to send its records
	for _, want := range []string{"debug AempGo::Node: [worker", "debug AempGo::Node: [gseed"} {
		for !strings.Contains(out.String(), want) {
			select {
			case <-ctx.Done():
				t.Fatalf("no %q in\n%s\nstderr %s", want, out.String(), errb.String())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	if !strings.Contains(out.String(), "starting to propagate log messages to aemp/") {
		t.Errorf("output\n%s", out.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d: %s", code, errb.String())
	}
	_ = worker
}

func TestFormatCaught(t *testing.T) {
	now := time.Date(2026, 11, 29, 8, 5, 0, 123456000, time.UTC)
	r := node.LogRecord{Time: float64(now.UnixMicro())/1e6 - 0.25, Title: "AnyEvent::MP::Kernel", Level: 1, Message: "two\nlines\n"}
	want := "2026-11-29 08:05:00.123456 +0000 alert AnyEvent::MP::Kernel: [n1+0.250s] two\n" +
		"2026-11-29 08:05:00.123456 +0000 + lines\n"
	if got := formatCaught(now, "n1", r); got != want {
		t.Errorf("got\n%q\nwant\n%q", got, want)
	}
	r = node.LogRecord{Time: float64(now.UnixMicro()) / 1e6, Title: "AempGo::Node", Level: 5, Message: "x"}
	if got := formatCaught(now, "n2", r); got != "2026-11-29 08:05:00.123456 +0000 warn  AempGo::Node: [n2] x\n" {
		t.Errorf("got %q", got)
	}
	for s, want := range map[string]int{"9": 9, "trace": 9, "WARN": 5, "": 7} {
		if got, err := parseAELevel(s); err != nil || got != want {
			t.Errorf("parseAELevel(%q) = %d, %v", s, got, err)
		}
	}
	if _, err := parseAELevel("10"); err == nil {
		t.Error("level 10 accepted")
	}
}
