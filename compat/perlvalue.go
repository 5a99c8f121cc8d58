package compat

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/aemp-go/aemp-go/protocol"
)

// Perl reads configuration values loosely: `aemp setmonitor_timeout 10` stores
// the *string* "10", `aemp secure 0` stores the string "0" (false in Perl), and
// a JSON true/false comes back as a Types::Serialiser boolean that numifies
// to 1/0 and stringifies to "1"/"0". A Go reader that insisted on JSON types
// would misread files that the Perl tools wrote, so every typed read in this
// package goes through the helpers below, which apply Perl's rules.

// The rules themselves live in protocol (PerlTrue, PerlNumber, PerlString),
// shared with the wire codec and node.Args; the rc file's values differ from
// a message's only in that numbers stay json.Number, which perlScalar turns
// into the message model first.

// perlScalar converts a JSON number of the rc file into the message value
// model (int64, uint64 or float64); other values are returned as they are.
func perlScalar(v any) any {
	if n, ok := v.(json.Number); ok {
		return protocol.ParseNumber(string(n))
	}
	return v
}

// perlTrue reports whether v is true in Perl's boolean context: undef, "",
// "0" and numeric zero are false; everything else, including the string
// "0.0" and any array or hash reference, is true.
func perlTrue(v any) bool { return protocol.PerlTrue(perlScalar(v)) }

// perlNum returns v as Perl numifies it. Strings use their longest numeric
// prefix ("10" is 10, "1.5s" is 1.5, "abc" is 0), undef is 0 and booleans are
// 1 or 0. Arrays and hashes would numify to their address in Perl, which is
// never what a config file means, so they are an error.
func perlNum(v any) (float64, error) {
	f, ok := protocol.PerlNumber(perlScalar(v))
	if !ok {
		return 0, fmt.Errorf("expected a number, got %s", describe(v))
	}
	return f, nil
}

// perlString returns v as Perl stringifies it: undef is "", a JSON boolean is
// "1" or "0" (Types::Serialiser stringifies through its numeric value),
// numbers as perlNumberText writes them. Arrays and hashes would print as
// "ARRAY(0x...)", which is never meant, so they are an error.
func perlString(v any) (string, error) {
	if n, ok := v.(json.Number); ok {
		return perlNumberText(n)
	}
	s, ok := protocol.PerlString(v)
	if !ok {
		return "", fmt.Errorf("expected a string, got %s", describe(v))
	}
	return s, nil
}

// perlNumberText is how JSON::XS writes back a number it decoded, and how Perl
// stringifies it. JSON::XS decodes an integer literal into an IV, which is
// written back digit for digit (and one beyond 64 bits into a string, kept as
// written too); anything with a fraction or exponent becomes an NV, which is
// written as protocol.FormatPerlFloat prints it ("%.15g"), so 1.0 comes back
// as 1 and 2.50 as 2.5.
func perlNumberText(n json.Number) (string, error) {
	s := string(n)
	if isIntegerLiteral(s) {
		if s == "-0" {
			return "0", nil
		}
		return s, nil
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return "", fmt.Errorf("invalid number %q", s)
	}
	return protocol.FormatPerlFloat(f), nil
}

func isIntegerLiteral(s string) bool {
	s = strings.TrimPrefix(s, "-")
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
	return json.Number(protocol.FormatPerlFloat(f)), nil
}

// deepCopy copies an rc value so that a resolved configuration never aliases
// the RC document it came from.
func deepCopy(v any) any {
	return mapLeaves(v, func(leaf any) any { return leaf })
}

// mapLeaves rebuilds a decoded value tree (arrays []any and objects
// map[string]any, copied at every level) with each other value replaced by
// leaf(value).
func mapLeaves(v any, leaf func(any) any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = mapLeaves(e, leaf)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = mapLeaves(e, leaf)
		}
		return out
	}
	return leaf(v)
}
