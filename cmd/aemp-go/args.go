package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aemp-go/aemp-go/compat"
)

// perlArgs applies the argument rules of bin/aemp's BEGIN block, before
// any command is looked at:
//
//   - if there is exactly one argument and it starts with "[", it is a
//     JSON array whose elements replace the whole command line;
//   - otherwise every argument that starts with "[", "{" or `"` is a JSON
//     text (any value, so `"abc"` is the string abc) replacing that
//     argument.
//
// Strings from the first form are never decoded again: aemp's two rules
// are alternatives (if/else), so `'["setsecret","[x"]'` sets the secret
// "[x". The result holds strings and the values encoding/json decodes with
// UseNumber (json.Number, bool, nil, []any, map[string]any), which are the
// values the rc file is made of. A JSON syntax error is a usage error
// (Perl dies in BEGIN).
func perlArgs(args []string) ([]any, error) {
	if len(args) == 1 && strings.HasPrefix(args[0], "[") {
		v, err := decodeJSONArg(args[0])
		if err != nil {
			return nil, err
		}
		list, ok := v.([]any)
		if !ok {
			return nil, usageErr("%s: not a JSON array", args[0])
		}
		return list, nil
	}
	out := make([]any, len(args))
	for i, a := range args {
		if a != "" && strings.ContainsRune(`[{"`, rune(a[0])) {
			v, err := decodeJSONArg(a)
			if err != nil {
				return nil, err
			}
			out[i] = v
			continue
		}
		out[i] = a
	}
	return out, nil
}

// decodeJSONArg decodes one JSON text (JSON::XS utf8, allow_nonref):
// exactly one value, nothing after it.
func decodeJSONArg(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, usageErr("argument %s is not valid JSON: %v", s, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, usageErr("argument %s: garbage after the JSON value", s)
	}
	return v, nil
}

// displayArg is how a decoded argument is handed to urfave/cli, which
// only knows strings: strings as they are, anything else as its JSON
// text. Commands never read these back; they take the decoded values
// (see invocation.tail).
func displayArg(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// scalarString stringifies a scalar argument as Perl does; ok is false
// for arrays and objects, which Perl would print as ARRAY(0x...).
func scalarString(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "", true
	case json.Number:
		return x.String(), true
	case bool:
		// JSON::XS decodes booleans to objects that stringify as 1 and 0.
		if x {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

// isRef tells the values Perl's `ref` calls true: arrays, objects and
// the JSON booleans (blessed objects).
func isRef(v any) bool {
	switch v.(type) {
	case []any, map[string]any, bool:
		return true
	}
	return false
}

// splitComma is Perl's `split /,/, $list`: empty fields are kept except
// at the end, and the empty string gives the empty list.
func splitComma(s string) []string {
	f := strings.Split(s, ",")
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	return append([]string{}, f...)
}

// wireValue converts a decoded argument into the message value model of
// package protocol: JSON numbers become int64 (uint64 above its range)
// or float64, recursively.
func wireValue(v any) any { return compat.WireValue(v) }

func wireValues(vs []any) []any {
	out := make([]any, len(vs))
	for i, v := range vs {
		out[i] = wireValue(v)
	}
	return out
}

// jsonText renders a value for messages to the user.
func jsonText(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Sprint(v)
	}
	return strings.TrimSuffix(b.String(), "\n")
}
