package node

import (
	"reflect"
	"testing"
	"time"
)

// Between a connection's loss and its monitors running, the loop may
// still run a sender first (Perl runs the monitors inside transport_error,
// so there is no such window). What is sent then is dropped, not queued
// for the next connection: delivered later, it would arrive after a hole
// that no monitor had reported yet. A monitor set up in that window fires
// with the same reason.
func TestSendBetweenLossAndMonitorsIsDropped(t *testing.T) {
	n := testNode(t, quietConfig("a"))
	release := make(chan struct{})
	n.loop.post(item{fn: func() { <-release }}) // the loop is busy: monitors cannot run yet

	r := n.remote("b")
	reason := []any{"transport_error", "b", "connect timeout"}
	r.transportError(reason...)
	if err := r.send("p", []any{"m", int64(2)}); err != nil {
		t.Fatal(err)
	}
	r.mu.Lock()
	queued := len(r.queue)
	r.mu.Unlock()
	if queued != 0 {
		t.Fatalf("%d messages queued for the next connection while the loss was unreported", queued)
	}
	if d := r.stats.dropped.Load(); d != 1 {
		t.Errorf("dropped counter %d, want 1", d)
	}

	fired := make(chan []any, 1)
	if _, err := n.MonFunc("b#p", func(why []any) { fired <- why }); err != nil {
		t.Fatal(err)
	}
	close(release)
	select {
	case got := <-fired:
		if !reflect.DeepEqual(got, reason) {
			t.Fatalf("monitor fired with %v, want %v", got, reason)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("a monitor set up while the loss was unreported never fired")
	}
}

// A connection that comes up while a connect attempt times out is not
// reported lost: the check and the teardown happen under one lock.
func TestConnectFailedKeepsAConnectionThatCameUp(t *testing.T) {
	a, _ := pair(t)
	if err := a.Snd("b#x", "hello"); err != nil {
		t.Fatal(err)
	}
	eventually(t, "a connected to b", func() bool { return a.NodeIsUp("b") })
	r := a.remote("b")
	r.connectFailed("connect timeout") // a late timer of an earlier attempt
	if !r.isUp() {
		t.Fatal("a late connect timeout tore down a live connection")
	}
}

// What the loss's own monitors send is not dropped: it is queued for the
// next connection (a node-down callback choosing a new master sends it
// g_slave this way).
func TestSendFromLossMonitorIsQueued(t *testing.T) {
	n := testNode(t, quietConfig("a"))
	r := n.remote("b")
	sent := make(chan struct{})
	if _, err := n.MonFunc("b#p", func([]any) {
		n.Snd("b#p", "after the loss")
		close(sent)
	}); err != nil {
		t.Fatal(err)
	}
	r.transportError("transport_error", "b", "connect timeout")
	select {
	case <-sent:
	case <-time.After(5 * time.Second):
		t.Fatal("the monitor never fired")
	}
	r = n.remote("b")
	r.mu.Lock()
	queued := len(r.queue)
	r.mu.Unlock()
	if queued == 0 {
		t.Fatal("a message sent by the loss's monitor was dropped")
	}
}
