package protocol

import (
	"math"
	"strconv"
	"strings"
)

// Perl's scalar rules, in one place. Perl has no separate string and number
// types: a peer sends 42 or "42" as it happens to hold the value (CBOR::XS
// sends a number that was once printed as a string), and the receiving Perl
// code converts on use. These functions convert the way Perl 5.36 with
// JSON::XS 4 and CBOR::XS 1.8 does; node/testdata/args_perl.json holds the
// values recorded from real Perl that the tests check them against.
//
// Values are those of the message model (see Message): nil, bool, int64,
// uint64, float64, string, []any, map[string]any; int and []byte are
// accepted too.

// PerlNumify returns the number Perl makes of the string s (`$s + 0`):
// leading whitespace is skipped, then an optional sign and either
// Inf/Infinity/NaN (any case) or a decimal number with optional fraction and
// exponent. Whatever follows is ignored ("12abc" is 12, "1e" is 1) and a
// string without such a prefix is 0 ("", "abc", "0x1A", "1_000" is 1). Perl
// warns "isn't numeric" for the strings LooksLikeNumber rejects; the value
// is the same.
func PerlNumify(s string) float64 {
	i := skipSpace(s, 0)
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	neg := i > start && s[start] == '-'
	if inf, nan, _ := infNaNPrefix(s[i:]); inf {
		if neg {
			return math.Inf(-1)
		}
		return math.Inf(1)
	} else if nan {
		return math.NaN()
	}
	end := i + decimalPrefix(s[i:])
	if end == i {
		return 0
	}
	f, err := strconv.ParseFloat(s[start:end], 64)
	if err != nil && !isRangeError(err) {
		return 0
	}
	return f
}

// LooksLikeNumber reports whether Perl takes the whole string s as a number
// without warning (Scalar::Util::looks_like_number): PerlNumify's prefix
// with nothing but whitespace around it, or the exact string "0 but true".
func LooksLikeNumber(s string) bool {
	if s == "0 but true" {
		return true
	}
	i := skipSpace(s, 0)
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	n := decimalPrefix(s[i:])
	if n == 0 {
		_, _, n = infNaNPrefix(s[i:])
	}
	return n > 0 && skipSpace(s, i+n) == len(s)
}

// PerlNumber returns v as Perl numifies it: undef is 0, booleans 1 or 0,
// strings as PerlNumify reads them. ok is false for arrays, maps and other
// references, which Perl would numify to their address.
func PerlNumber(v any) (f float64, ok bool) {
	switch x := v.(type) {
	case nil:
		return 0, true
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case int:
		return float64(x), true
	case float64:
		return x, true
	case string:
		return PerlNumify(x), true
	case []byte:
		return PerlNumify(string(x)), true
	}
	return 0, false
}

// PerlTrue reports whether v is true in Perl's boolean context: undef, "",
// "0", numeric zero (also -0.0) and false are false; everything else is true,
// including "0.0", "00", " ", NaN and every array and map.
func PerlTrue(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "0"
	case []byte:
		return len(x) != 0 && string(x) != "0"
	case int64:
		return x != 0
	case uint64:
		return x != 0
	case int:
		return x != 0
	case float64:
		return x != 0
	}
	return true
}

// PerlString returns v as Perl stringifies it: strings as they are,
// integers in decimal, floats as FormatPerlFloat prints them, undef as "",
// true as "1" and false as "0" (Types::Serialiser's booleans stringify
// through their numeric value). ok is false only for arrays, maps and
// other non-scalars, which Perl would print as "ARRAY(0x...)".
func PerlString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []byte:
		return string(x), true
	case nil:
		return "", true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case int:
		return strconv.Itoa(x), true
	case float64:
		return FormatPerlFloat(x), true
	}
	return "", false
}

// FormatPerlFloat prints f as Perl prints a floating point value (an NV):
// "%.15g", so integral values have no decimal point (3.0 is "3") and
// 15 significant digits at most (0.1+0.2 is "0.3", 1e15 is "1e+15"); zero
// is "0" whatever its sign, and the infinities and NaN are "Inf", "-Inf" and
// "NaN".
func FormatPerlFloat(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	case f == 0:
		return "0"
	}
	return strconv.FormatFloat(f, 'g', 15, 64)
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// skipSpace returns the index of the first byte at or after i that is not
// whitespace as Perl's isSPACE sees it.
func skipSpace(s string, i int) int {
	for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
		i++
	}
	return i
}

// decimalPrefix returns the length of the decimal number at the start of s
// (digits, an optional fraction, an optional exponent), 0 if there is none.
// A dot needs a digit on one side ("5." and ".5" count, "." does not); an
// exponent needs a digit after it ("1e" is the number 1).
func decimalPrefix(s string) int {
	i, digits := 0, 0
	for i < len(s) && isDigit(s[i]) {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		for j < len(s) && isDigit(s[j]) {
			j++
		}
		if digits > 0 || j > i+1 {
			digits += j - i - 1
			i = j
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && isDigit(s[k]) {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// infNaNPrefix recognises Perl's spellings of infinity and NaN at the start
// of s, ignoring case: "inf", "infinity" ("infin" and the like numify to Inf
// too), "nan", "nanq", "nans", "qnan", "snan" and "nan(payload)". Perl's
// Windows spellings ("1.#INF") are not recognised. n is the length a
// whole-string match may have (0 when only a prefix matched, for
// LooksLikeNumber).
func infNaNPrefix(s string) (inf, nan bool, n int) {
	l := strings.ToLower(s)
	switch {
	case strings.HasPrefix(l, "infinity"):
		return true, false, len("infinity")
	case strings.HasPrefix(l, "inf"):
		if len(l) == 3 || !isLetter(l[3]) {
			return true, false, 3
		}
		return true, false, 0
	case strings.HasPrefix(l, "nan("):
		if end := strings.IndexByte(l, ')'); end > 0 {
			return false, true, end + 1
		}
		return false, true, 0
	case strings.HasPrefix(l, "nanq"), strings.HasPrefix(l, "nans"),
		strings.HasPrefix(l, "qnan"), strings.HasPrefix(l, "snan"):
		return false, true, 4
	case strings.HasPrefix(l, "nan"):
		return false, true, 3
	}
	return false, false, 0
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' }

// appendPerlFloat formats f the way Perl prints a number (JSON::XS uses the
// same "%.15g" rule): fixed notation when the decimal exponent is in
// [-4, 15), otherwise "1e+100" style, no trailing zeros, integral values
// without a decimal point.
//
// One deliberate difference: Perl prints 15 significant digits, which
// loses precision; aemp-go prints the shortest digits that round-trip, so
// Go-to-Go floats survive exactly. Every value that came from Perl has at
// most 15 significant digits and so prints exactly as Perl printed it.
func appendPerlFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "nan"...)
	case math.IsInf(f, 1):
		return append(dst, "inf"...)
	case math.IsInf(f, -1):
		return append(dst, "-inf"...)
	case f == 0:
		if math.Signbit(f) {
			return append(dst, "-0"...)
		}
		return append(dst, '0')
	}
	var buf [32]byte
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64) // [-]d[.ddd]e±XX
	neg := e[0] == '-'
	if neg {
		e = e[1:]
		dst = append(dst, '-')
	}
	var digits []byte
	i := 0
	for ; e[i] != 'e'; i++ {
		if e[i] != '.' {
			digits = append(digits, e[i])
		}
	}
	exp, _ := strconv.Atoi(string(e[i+1:]))
	if exp < -4 || exp >= 15 {
		dst = append(dst, digits[0])
		if len(digits) > 1 {
			dst = append(dst, '.')
			dst = append(dst, digits[1:]...)
		}
		dst = append(dst, 'e')
		if exp < 0 {
			dst = append(dst, '-')
			exp = -exp
		} else {
			dst = append(dst, '+')
		}
		if exp < 10 {
			dst = append(dst, '0')
		}
		return strconv.AppendInt(dst, int64(exp), 10)
	}
	if exp < 0 {
		dst = append(dst, '0', '.')
		for j := -1; j > exp; j-- {
			dst = append(dst, '0')
		}
		return append(dst, digits...)
	}
	if len(digits) <= exp+1 {
		dst = append(dst, digits...)
		for j := len(digits); j <= exp; j++ {
			dst = append(dst, '0')
		}
		return dst
	}
	dst = append(dst, digits[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, digits[exp+1:]...)
}
