package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Perl reads configuration values loosely: `aemp setmonitor_timeout 10` stores
// the *string* "10", `aemp secure 0` stores the string "0" (false in Perl), and
// a JSON true/false comes back as a Types::Serialiser boolean that numifies
// to 1/0 and stringifies to "1"/"0". A Go reader that insisted on JSON types
// would misread files that the Perl tools wrote, so every typed read in this
// package goes through the helpers below, which apply Perl's rules.

// perlTrue reports whether v is true in Perl's boolean context: undef, "",
// "0" and numeric zero are false; everything else, including the string
// "0.0" and any array or hash reference, is true.
func perlTrue(v any) bool {
	switch x := v.(type) {
	case nil:
		return false
	case bool:
		return x
	case string:
		return x != "" && x != "0"
	case json.Number:
		// JSON::XS turns a JSON number into an IV or NV, and numeric zero
		// (0, 0.0, -0, 0e5) is false.
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return string(x) != "" && string(x) != "0"
		}
		return f != 0
	default:
		return true
	}
}

// perlNum returns v as Perl numifies it. Strings use their longest numeric
// prefix ("10" is 10, "1.5s" is 1.5, "abc" is 0), undef is 0 and booleans are
// 1 or 0. Arrays and hashes would numify to their address in Perl, which is
// never what a config file means, so they are an error.
func perlNum(v any) (float64, error) {
	switch x := v.(type) {
	case nil:
		return 0, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil && !isRangeErr(err) {
			return 0, fmt.Errorf("invalid number %q", string(x))
		}
		return f, nil
	case string:
		return numericPrefix(x), nil
	default:
		return 0, fmt.Errorf("expected a number, got %s", describe(v))
	}
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// numericPrefix implements Perl's string-to-number conversion (Perl_grok_number
// plus Atof): leading whitespace, an optional sign, then either Inf/Infinity/NaN
// or a decimal number with optional fraction and exponent. Anything after the
// prefix is ignored; no prefix at all gives 0. Hex ("0x10") is not numeric in
// Perl and gives 0.
func numericPrefix(s string) float64 {
	i := 0
	for i < len(s) && strings.IndexByte(" \t\n\r\f\v", s[i]) >= 0 {
		i++
	}
	start := i
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	rest := strings.ToLower(s[i:])
	switch {
	case strings.HasPrefix(rest, "infinity"), strings.HasPrefix(rest, "inf"):
		if s[start] == '-' {
			return math.Inf(-1)
		}
		return math.Inf(1)
	case strings.HasPrefix(rest, "nan"):
		return math.NaN()
	}
	digits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		digits++
	}
	if i < len(s) && s[i] == '.' {
		j := i + 1
		frac := 0
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
			frac++
		}
		if digits > 0 || frac > 0 {
			i = j
			digits += frac
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
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	f, err := strconv.ParseFloat(s[start:i], 64)
	if err != nil && !isRangeErr(err) {
		return 0
	}
	return f
}

// perlString returns v as Perl stringifies it: undef is "", a JSON boolean is
// "1" or "0" (Types::Serialiser numifies first), integers print as they were
// written and other numbers print with "%.15g" (Perl's NV format). Arrays and
// hashes would print as "ARRAY(0x...)", which is never meant, so they are an
// error.
func perlString(v any) (string, error) {
	switch x := v.(type) {
	case nil:
		return "", nil
	case bool:
		if x {
			return "1", nil
		}
		return "0", nil
	case string:
		return x, nil
	case json.Number:
		return perlNumberText(x)
	default:
		return "", fmt.Errorf("expected a string, got %s", describe(v))
	}
}

// perlNumberText is how JSON::XS writes back a number it decoded, and how Perl
// stringifies it. JSON::XS decodes an integer literal into an IV, which is
// written back digit for digit; anything with a fraction or exponent becomes
// an NV, which is written with "%.15g" (JSON::XS encode_sv uses Gconvert with
// NV_DIG), so 1.0 comes back as 1 and 2.50 as 2.5.
//
// Integers beyond 64 bits are kept as written; JSON::XS would turn them into
// an NV or even a string, which no rc file has a reason to contain.
func perlNumberText(n json.Number) (string, error) {
	s := string(n)
	if isIntegerLiteral(s) {
		if s == "-0" {
			return "0", nil
		}
		return s, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeErr(err) {
		return "", fmt.Errorf("invalid number %q", s)
	}
	return formatNV(f), nil
}

func isIntegerLiteral(s string) bool {
	if strings.HasPrefix(s, "-") {
		s = s[1:]
	}
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// formatNV formats a float the way Perl prints an NV ("%.15g").
func formatNV(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "Inf"
	case math.IsInf(f, -1):
		return "-Inf"
	case math.IsNaN(f):
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', 15, 64)
}

// describe names the JSON type of v for error messages.
func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	default:
		return fmt.Sprintf("a %T", v)
	}
}

// toRCValue converts a Go value given by a caller (configure arguments, a
// setter) into the value universe of the rc file, so that encoding, merging
// and the Perl-style readers need to know only those few types.
func toRCValue(v any) (any, error) {
	switch x := v.(type) {
	case nil, bool, string:
		return x, nil
	case json.Number:
		if _, err := perlNumberText(x); err != nil {
			return nil, err
		}
		return x, nil
	case int:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case int8:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case int16:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case int32:
		return json.Number(strconv.FormatInt(int64(x), 10)), nil
	case int64:
		return json.Number(strconv.FormatInt(x, 10)), nil
	case uint:
		return json.Number(strconv.FormatUint(uint64(x), 10)), nil
	case uint8:
		return json.Number(strconv.FormatUint(uint64(x), 10)), nil
	case uint16:
		return json.Number(strconv.FormatUint(uint64(x), 10)), nil
	case uint32:
		return json.Number(strconv.FormatUint(uint64(x), 10)), nil
	case uint64:
		return json.Number(strconv.FormatUint(x, 10)), nil
	case float32:
		return floatValue(float64(x))
	case float64:
		return floatValue(x)
	case []string:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s
		}
		return out, nil
	case []Service:
		out := make([]any, len(x))
		for i, s := range x {
			out[i] = s.rcValue()
		}
		return out, nil
	case Service:
		return x.rcValue(), nil
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			c, err := toRCValue(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			c, err := toRCValue(e)
			if err != nil {
				return nil, err
			}
			out[k] = c
		}
		return out, nil
	default:
		return nil, fmt.Errorf("cannot store a %T in the rc file", v)
	}
}

func floatValue(f float64) (any, error) {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return nil, fmt.Errorf("cannot store %v in JSON", f)
	}
	return json.Number(formatNV(f)), nil
}

// deepCopy copies an rc value so that a resolved configuration never aliases
// the RC document it came from.
func deepCopy(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = deepCopy(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = deepCopy(e)
		}
		return out
	default:
		return v
	}
}
