package main

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/aemp-go/aemp-go/examples/internal/tut"
)

// TestSayRelaysPerlValues: the session port relays "$nick: $_[0]" as Perl
// prints $_[0], whatever type the Perl client's line arrived as.
func TestSayRelaysPerlValues(t *testing.T) {
	var sent []string
	room := &tut.Room{
		Snd: func(port string, msg ...any) error {
			sent = append(sent, tut.Words(msg))
			return nil
		},
		Mon: func(string, func([]any)) {},
		Log: &bytes.Buffer{},
	}
	room.Join("perl#c", "7")
	h := say(room, "7")
	h(nil, []any{2.50})
	h(nil, []any{"0.30"})
	h(nil, []any{false})
	h(nil, nil)
	want := []string{"7 (joins)", "7: 2.5", "7: 0.30", "7: 0", "7: "}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %q\nwant %q", sent, want)
	}
}
