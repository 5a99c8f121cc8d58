package node

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// CalFunc hands its callback the same outcomes Cal returns: the reply, a
// *PortDiedError when the monitored target dies, ErrTimeout when the
// timeout passes.
func TestCalFuncGivesCalsOutcomes(t *testing.T) {
	n := newTestNode(t, "calfunc", false)
	type outcome struct {
		reply []any
		err   error
	}
	got := make(chan outcome, 1)
	cb := func(reply []any, err error) { got <- outcome{reply, err} }

	echo := n.NewPort(func(self *Port, args []any) {
		n.Snd(args[len(args)-1].(string), append([]any{"re"}, args[:len(args)-1]...)...)
	})
	if _, err := n.CalFunc(time.Minute, echo.ID(), cb, "x", 1); err != nil {
		t.Fatal(err)
	}
	if o := recv(t, got); o.err != nil || !reflect.DeepEqual(o.reply, []any{"re", "x", 1}) {
		t.Fatalf("reply %v, %v", o.reply, o.err)
	}

	silent := n.NewPort(func(self *Port, args []any) { self.Kil("silent", "refused") })
	if _, err := n.CalFunc(0, silent.ID(), cb, "hi"); err != nil {
		t.Fatal(err)
	}
	o := recv(t, got)
	var pd *PortDiedError
	if o.reply != nil || !errors.As(o.err, &pd) || !reflect.DeepEqual(pd.Reason, []any{"silent", "refused"}) {
		t.Fatalf("want PortDiedError, got %v, %v", o.reply, o.err)
	}

	mute := n.NewPort(func(*Port, []any) {})
	if _, err := n.CalFunc(20*time.Millisecond, mute.ID(), cb, "hi"); err != nil {
		t.Fatal(err)
	}
	if o := recv(t, got); o.reply != nil || !errors.Is(o.err, ErrTimeout) {
		t.Fatalf("want ErrTimeout, got %v, %v", o.reply, o.err)
	}
}

// Stop cancels a pending After or AfterFunc and reports whether it did.
func TestTimerStop(t *testing.T) {
	n := newTestNode(t, "timer", false)
	ran := make(chan string, 4)

	if tm := n.AfterFunc(time.Hour, func() { ran <- "hour" }); !tm.Stop() || tm.Stop() {
		t.Fatal("a pending timer stops exactly once")
	}
	p := n.NewPort(func(_ *Port, args []any) { ran <- args[0].(string) })
	if tm := n.After(time.Hour, p.ID(), "hour"); !tm.Stop() {
		t.Fatal("a pending After did not stop")
	}

	done := n.AfterFunc(0, func() { ran <- "now" })
	if got := recv(t, ran); got != "now" {
		t.Fatalf("ran %q", got)
	}
	if done.Stop() {
		t.Fatal("Stop reported cancelling a function that ran")
	}

	// A Stop that comes after the timer fired but before the dispatch
	// goroutine ran the function still cancels it.
	block := make(chan struct{})
	blocker := n.NewPort(func(*Port, []any) { <-block })
	n.Snd(blocker.ID(), "block")
	late := n.AfterFunc(0, func() { ran <- "late" })
	if !late.Stop() {
		t.Fatal("Stop while the dispatch goroutine was busy did not cancel")
	}
	close(block)
	n.AfterFunc(0, func() { ran <- "marker" })
	if got := recv(t, ran); got != "marker" {
		t.Fatalf("a stopped function ran: %q", got)
	}
}

// After Close, After and AfterFunc do nothing and hand out stopped timers.
func TestTimerAfterClose(t *testing.T) {
	n := newTestNode(t, "timerclosed", false)
	n.Close()
	ran := make(chan struct{}, 1)
	if n.AfterFunc(0, func() { ran <- struct{}{} }).Stop() {
		t.Error("AfterFunc after Close returned a running timer")
	}
	if n.After(0, "timerclosed#x", "hi").Stop() {
		t.Error("After after Close returned a running timer")
	}
	select {
	case <-ran:
		t.Error("AfterFunc ran after Close")
	default:
	}
}
