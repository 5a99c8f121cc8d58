package main

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/aemp-go/aemp-go/examples/internal/tut"
)

// TestHandlersTakeValuesAsPerlSendsThem feeds the handlers what a Perl
// client may send: a nick typed as digits arrives as a number, a message as
// an integral float or a boolean, a missing message as undef. The relayed
// texts are what Perl's server makes of "$nick (joins)" and "$nick: $msg".
func TestHandlersTakeValuesAsPerlSendsThem(t *testing.T) {
	var sent []string
	var log bytes.Buffer
	room := &tut.Room{
		Snd: func(port string, msg ...any) error {
			sent = append(sent, port+" <- "+tut.Words(msg))
			return nil
		},
		Mon: func(string, func([]any)) {},
		Log: &log,
	}
	join(room)(nil, []any{"perl#c", int64(42)})
	privmsg(room)(nil, []any{int64(42), 3.0})
	privmsg(room)(nil, []any{int64(42), float64(1732870000)})
	privmsg(room)(nil, []any{"42", true})
	privmsg(room)(nil, []any{int64(42), nil})
	privmsg(room)(nil, []any{int64(42)})
	join(room)(nil, []any{"perl#d", map[string]any{}}) // not a nick: logged, not joined

	want := []string{
		"perl#c <- 42 (joins)",
		"perl#c <- 42: 3",
		"perl#c <- 42: 1732870000",
		"perl#c <- 42: 1",
		"perl#c <- 42: ",
		"perl#c <- 42: ",
	}
	if !reflect.DeepEqual(sent, want) {
		t.Errorf("sent %q\nwant %q", sent, want)
	}
}
