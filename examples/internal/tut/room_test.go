package tut

import (
	"bytes"
	"reflect"
	"testing"
)

// fakeNode records what a Room sends and lets a test fire monitors.
type fakeNode struct {
	sent map[string][]string
	mons map[string]func([]any)
}

// newTestRoom returns a Room whose messages and monitors go to f.
func newTestRoom() (*Room, *fakeNode, *bytes.Buffer) {
	f := &fakeNode{sent: map[string][]string{}, mons: map[string]func([]any){}}
	var log bytes.Buffer
	r := &Room{
		Snd: func(port string, msg ...any) error {
			f.sent[port] = append(f.sent[port], Words(msg))
			return nil
		},
		Mon: func(port string, cb func([]any)) { f.mons[port] = cb },
		Log: &log,
	}
	return r, f, &log
}

func TestRoomRelaysTheTutorialTexts(t *testing.T) {
	r, f, log := newTestRoom()
	r.Join("a#1", "alice")
	r.Join("b#1", "bob")
	r.Say("bob", "hi")
	f.mons["a#1"]([]any{"transport_error", "a", "connection reset"})
	r.Say("bob", "bye")

	want := map[string][]string{
		"a#1": {"alice (joins)", "bob (joins)", "bob: hi"},
		"b#1": {"bob (joins)", "bob: hi", "alice (quits, transport_error a connection reset)", "bob: bye"},
	}
	if !reflect.DeepEqual(f.sent, want) {
		t.Errorf("sent %q\nwant %q", f.sent, want)
	}
	if got := log.String(); got != "relaying: alice (joins)\nrelaying: bob (joins)\nrelaying: bob: hi\n"+
		"relaying: alice (quits, transport_error a connection reset)\nrelaying: bob: bye\n" {
		t.Errorf("log %q", got)
	}
}

// TestWordsLikePerl: "@_" of values as Perl sends them. Go's fmt would print
// 3.0 as 3, but 1.7e9 as 1.7e+09, true as true and undef as <nil>.
func TestWordsLikePerl(t *testing.T) {
	got := Words([]any{"die", 3.0, float64(1732870000), nil, true, false, int64(-2), 0.1 + 0.2})
	if want := "die 3 1732870000  1 0 -2 0.3"; got != want {
		t.Errorf("Words = %q, Perl prints %q", got, want)
	}
}
