package protocol

import (
	"fmt"
	"math"
	"testing"
)

// Values from perl 5.36: `perl -MScalar::Util=looks_like_number -e 'print $s + 0, looks_like_number $s'`.
// node/testdata/args_perl.json has the full table, through JSON::XS and CBOR::XS.
func TestPerlNumifyAndLooksLikeNumber(t *testing.T) {
	for _, c := range []struct {
		s    string
		num  float64
		like bool
	}{
		{"12", 12, true}, {" 12", 12, true}, {"12 ", 12, true}, {"\n12", 12, true},
		{"12abc", 12, false}, {"0x1A", 0, false}, {"1e3", 1000, true}, {"0.1e-2", 0.001, true},
		{"", 0, false}, {" ", 0, false}, {"abc", 0, false}, {"  -3.5e2x", -350, false},
		{".5", 0.5, true}, {"5.", 5, true}, {"+7", 7, true}, {"1_000", 1, false},
		{"0 but true", 0, true}, {"1e", 1, false}, {"1e+", 1, false}, {"-", 0, false}, {".", 0, false},
		{"inf", math.Inf(1), true}, {"-Infinity", math.Inf(-1), true}, {" inf ", math.Inf(1), true},
		{"infin", math.Inf(1), false}, {"Info", math.Inf(1), false},
		{"nan", math.NaN(), true}, {"nanq", math.NaN(), true}, {"snan", math.NaN(), true},
		{"nan(1)", math.NaN(), true}, {"NaNx", math.NaN(), false},
		{"1e400", math.Inf(1), true},
	} {
		got := PerlNumify(c.s)
		if got != c.num && !(math.IsNaN(got) && math.IsNaN(c.num)) {
			t.Errorf("PerlNumify(%q) = %v, Perl %v", c.s, got, c.num)
		}
		if like := LooksLikeNumber(c.s); like != c.like {
			t.Errorf("LooksLikeNumber(%q) = %v, Perl %v", c.s, like, c.like)
		}
	}
}

// Values from perl 5.36: print of the number, as JSON::XS/CBOR::XS decoded it.
func TestPerlStringOfNumbers(t *testing.T) {
	for _, c := range []struct {
		v    any
		want string
	}{
		{3.0, "3"}, {0.1 + 0.2, "0.3"}, {1e15, "1e+15"}, {1e16, "1e+16"}, {1.5e-5, "1.5e-05"},
		{0.0001, "0.0001"}, {math.Copysign(0, -1), "0"}, {math.Inf(1), "Inf"}, {math.Inf(-1), "-Inf"},
		{math.NaN(), "NaN"}, {1 / 3.0, "0.333333333333333"}, {int64(-9223372036854775808), "-9223372036854775808"},
		{uint64(18446744073709551615), "18446744073709551615"}, {true, "1"}, {false, "0"}, {nil, ""},
	} {
		if got, ok := PerlString(c.v); !ok || got != c.want {
			t.Errorf("PerlString(%#v) = %q, %v; Perl prints %q", c.v, got, ok, c.want)
		}
	}
	if _, ok := PerlString([]any{}); ok {
		t.Error("an array stringified")
	}
}

func TestPerlTrue(t *testing.T) {
	for _, v := range []any{nil, false, "", "0", int64(0), 0.0, math.Copysign(0, -1), uint64(0)} {
		if PerlTrue(v) {
			t.Errorf("%#v is true", v)
		}
	}
	for _, v := range []any{true, "0.0", "00", " ", "a", int64(-1), math.NaN(), []any{}, map[string]any{}} {
		if !PerlTrue(v) {
			t.Errorf("%#v is false", v)
		}
	}
}

// A Perl peer may send a number as a string and the other way round; these
// are the conversions Perl code applies on use.
func ExamplePerlString() {
	for _, v := range []any{int64(42), 3.0, 0.1 + 0.2, false} {
		s, _ := PerlString(v)
		fmt.Printf("%q;", s)
	}
	fmt.Println()
	fmt.Println(PerlNumify(" 12abc"), LooksLikeNumber(" 12abc"), LooksLikeNumber("1e3"))
	// Output:
	// "42";"3";"0.3";"0";
	// 12 false true
}
