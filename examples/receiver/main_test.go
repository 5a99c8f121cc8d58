package main

import "testing"

// TestReceivedPrintsAsPerl: Perl's receiver prints "Received data: $data".
// The time a sender sends may arrive as an integer, a float (CBOR::XS sends
// an NV that way) or a string; Perl prints all three the same, and so does
// received. (Go's %v printed the float as 1.73287e+09.)
func TestReceivedPrintsAsPerl(t *testing.T) {
	for _, c := range []struct {
		args []any
		want string
	}{
		{[]any{int64(1732870000)}, "Received data: 1732870000"},
		{[]any{float64(1732870000)}, "Received data: 1732870000"},
		{[]any{"1732870000"}, "Received data: 1732870000"},
		{[]any{1732870000.25}, "Received data: 1732870000.25"},
		{[]any{nil}, "Received data: "},
		{nil, "Received data: "},
	} {
		if got := received(c.args); got != c.want {
			t.Errorf("received(%v) = %q, want %q", c.args, got, c.want)
		}
	}
}
