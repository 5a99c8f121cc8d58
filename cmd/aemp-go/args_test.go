package main

import (
	"encoding/json"
	"log/slog"
	"reflect"
	"testing"
)

func TestPerlArgs(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want []any
	}{
		{[]string{"a", "b"}, []any{"a", "b"}},
		{[]string{`["a",1,["x"]]`}, []any{"a", json.Number("1"), []any{"x"}}},
		// the array form replaces everything and is not decoded again
		{[]string{`["x","[y","\"z\""]`}, []any{"x", "[y", `"z"`}},
		// two arguments: each is looked at on its own
		{[]string{`[1]`, `"s"`, `{"k":null}`, "plain[", ""}, []any{[]any{json.Number("1")}, "s", map[string]any{"k": nil}, "plain[", ""}},
	} {
		got, err := perlArgs(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%q: got %#v %v, want %#v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range [][]string{{`["a"`}, {`[1] 2`}, {`{`}, {"x", `"a" "b"`}, {`[{"a":1}]x`}} {
		if _, err := perlArgs(bad); exitCode(err) != exitUsage {
			t.Errorf("%q: err %v", bad, err)
		}
	}
}

func TestSplitComma(t *testing.T) {
	for in, want := range map[string][]string{
		"":      {},
		"a":     {"a"},
		"a,b":   {"a", "b"},
		",a,,":  {"", "a"},
		"a,,b,": {"a", "", "b"},
		",,,":   {},
	} {
		if got := splitComma(in); !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %q, want %q", in, got, want)
		}
	}
}

func TestWireValue(t *testing.T) {
	got := wireValues([]any{json.Number("1"), json.Number("-2"), json.Number("18446744073709551615"), json.Number("1.5"),
		[]any{json.Number("3")}, map[string]any{"k": json.Number("4")}, "s", nil, true})
	want := []any{int64(1), int64(-2), uint64(18446744073709551615), 1.5, []any{int64(3)}, map[string]any{"k": int64(4)}, "s", nil, true}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
}

// The formats of the fixture logs: cal prints JSON without brackets,
// snd and mon Perl's join with a blank before the newline.
func TestOutputFormats(t *testing.T) {
	for _, tc := range []struct {
		in   []any
		want string
	}{
		{[]any{1795534453.93247}, "1795534453.93247"},
		{[]any{int64(6144)}, "6144"},
		{[]any{"b", nil, true, []any{}, map[string]any{"a": "é"}}, `"b",null,true,[],{"a":"é"}`},
		{[]any{}, ""},
	} {
		if got := calOutput(tc.in); got != tc.want {
			t.Errorf("calOutput(%v) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := joinOutput([]any{"message sent successfully"}); got != "message sent successfully \n" {
		t.Errorf("joinOutput %q", got)
	}
	if got := joinOutput(nil); got != "\n" {
		t.Errorf("joinOutput of nothing %q", got)
	}
	if got := joinReason([]any{"die", int64(3), []any{"x"}}); got != `die 3 ["x"]` {
		t.Errorf("joinReason %q", got)
	}
}

func TestLogLevels(t *testing.T) {
	for v, want := range map[int]slog.Level{0: levelOff, 1: slog.LevelError, 4: slog.LevelError, 5: slog.LevelWarn,
		6: slog.LevelInfo, 7: slog.LevelInfo, 8: slog.LevelDebug, 9: slog.LevelDebug - 4, 12: slog.LevelDebug - 4} {
		if got := slogLevel(v); got != want {
			t.Errorf("level %d: %v, want %v", v, got, want)
		}
	}
	tempRC(t, "")
	if verboseFromEnv() != defaultVerbose {
		t.Error("default level is not AnyEvent's 4")
	}
	t.Setenv("AE_VERBOSE", "8")
	if verboseFromEnv() != 8 {
		t.Error("AE_VERBOSE ignored")
	}
	t.Setenv("PERL_ANYEVENT_VERBOSE", "5x")
	if verboseFromEnv() != 5 {
		t.Error("PERL_ANYEVENT_VERBOSE must win over AE_VERBOSE, numified as Perl does")
	}
	if traceWriter(&syncBuffer{}) != nil {
		t.Error("trace without the variable")
	}
	t.Setenv("AE_MP_TRACE", "1")
	if traceWriter(&syncBuffer{}) == nil {
		t.Error("AE_MP_TRACE=1 ignored")
	}
	t.Setenv("PERL_ANYEVENT_MP_TRACE", "0")
	if traceWriter(&syncBuffer{}) != nil {
		t.Error("PERL_ANYEVENT_MP_TRACE=0 must win and be false")
	}
}
