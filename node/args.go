package node

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/aemp-go/aemp-go/protocol"
)

// Args gives a handler its message arguments as Go values, converted the way
// Perl code would see them. A Perl peer sends a number as a string once it
// has printed it (a reply to `ping 42` carries "42"), a string of digits as
// a number, 3.0 for 3, and Types::Serialiser booleans; Perl code does not
// notice, because it converts on use. A handler does the same with Args:
//
//	func(self *node.Port, args []any) {
//		a := node.Args(args)
//		n, err := a.Int(1) // 42, "42", 42.0 and " 42 " all give 42
//		...
//	}
//
// The conversions are Perl's (protocol.PerlString, protocol.PerlNumber,
// protocol.PerlTrue), checked against values recorded from Perl 5.36 with
// JSON::XS and CBOR::XS (node/testdata/args_perl.json):
//
//   - String: numbers print as Perl prints them (integers in decimal, floats
//     with "%.15g", so 3.0 is "3" and 1e15 is "1e+15"), true is "1", false is
//     "0", undef is "".
//   - Int and Float are strict: a string must be a number as a whole, as
//     Scalar::Util::looks_like_number decides (" 12 ", "1e3" and "inf" are;
//     "12abc", "0x1A" and "" are not), or they return an error where Perl
//     would numify "12abc" to 12 with a warning.
//     Num is the lenient form, Perl's `$x + 0` with the warning ignored.
//   - Int truncates toward zero, as Perl's int() does (3.7 and "3.7" give 3);
//     Inf, NaN and values beyond int64 are an error.
//   - Bool is Perl's truth: undef, "", "0", numeric zero and false are false,
//     everything else ("0.0", " ", NaN, arrays) is true.
//   - undef reads as "", 0 or false without error, as in Perl; IsUndef tells it
//     apart. An argument that is not there at all (i >= Len) is an error, so a
//     short message is noticed; the ...Or forms give a default for both.
//   - Arrays and maps are an error for the scalar accessors (Perl would see
//     "ARRAY(0x...)"); Decode reads them into slices, maps and structs.
//
// Args does not tell "42" from 42, as Perl code does not; args[i] still shows
// which one arrived. One known difference: JSON::XS keeps an integer beyond
// 64 bits as its digits, which aemp-go's decoder turns into a float64, so
// String prints 100000000000000000000 as "1e+20".
//
// Args is a plain slice: node.Args(args) costs nothing, and args[i] still
// gives the raw value (the message model of protocol.Message).
type Args []any

// ArgError describes an argument that does not convert to what a handler
// asked for.
type ArgError struct {
	Index int    // position of the argument in the message (0 is the tag if there is one)
	Field string // path inside the argument for Decode and DecodeAll ("peers[2].port"); "" for the argument itself
	Want  string // what was asked for: "an integer", "a string", "a map", ...
	Got   string // what was there, for people: `"12abc" (a string)`, "undef", "nothing (2 arguments)"
}

func (e *ArgError) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("argument %d, %s: want %s, got %s", e.Index, e.Field, e.Want, e.Got)
	}
	return fmt.Sprintf("argument %d: want %s, got %s", e.Index, e.Want, e.Got)
}

// Len returns the number of arguments.
func (a Args) Len() int { return len(a) }

// IsUndef reports whether argument i is undef or not there at all (in Perl,
// $_[i] beyond the end of @_ is undef too).
func (a Args) IsUndef(i int) bool { return i < 0 || i >= len(a) || a[i] == nil }

// String returns argument i as Perl stringifies it.
func (a Args) String(i int) (string, error) {
	v, err := a.at(i, "a string")
	if err != nil {
		return "", err
	}
	s, ok := protocol.PerlString(v)
	if !ok {
		return "", a.mismatch(i, "a string")
	}
	return s, nil
}

// StringOr returns argument i as String does, or def when it is undef, not
// there, or an array or map.
func (a Args) StringOr(i int, def string) string {
	if a.IsUndef(i) {
		return def
	}
	if s, err := a.String(i); err == nil {
		return s
	}
	return def
}

// Int returns argument i as an integer: see Args for the rules (strict about
// strings, truncating fractions like Perl's int()).
func (a Args) Int(i int) (int64, error) {
	v, err := a.at(i, "an integer")
	if err != nil {
		return 0, err
	}
	n, ok := perlInt(v)
	if !ok {
		return 0, a.mismatch(i, "an integer")
	}
	return n, nil
}

// IntOr returns argument i as Int does, or def when it is undef, not there,
// or not a number.
func (a Args) IntOr(i int, def int64) int64 {
	if a.IsUndef(i) {
		return def
	}
	if n, err := a.Int(i); err == nil {
		return n
	}
	return def
}

// Float returns argument i as a number; strings must look like a number as a
// whole ("inf" and "nan" do).
func (a Args) Float(i int) (float64, error) {
	v, err := a.at(i, "a number")
	if err != nil {
		return 0, err
	}
	f, ok := perlFloat(v)
	if !ok {
		return 0, a.mismatch(i, "a number")
	}
	return f, nil
}

// Num returns argument i as Perl's `$x + 0` does, ignoring the warnings:
// "12abc" is 12, "abc" and undef are 0. An argument that is not there, an
// array or a map is 0 too.
func (a Args) Num(i int) float64 {
	if i < 0 || i >= len(a) {
		return 0
	}
	f, _ := protocol.PerlNumber(a[i])
	return f
}

// Bool returns argument i as Perl's boolean context sees it.
func (a Args) Bool(i int) (bool, error) {
	v, err := a.at(i, "a boolean")
	if err != nil {
		return false, err
	}
	return protocol.PerlTrue(v), nil
}

// Decode stores argument i in the value v points to, converting as the
// accessors do: into a struct from a map (fields named by an `aemp:"key"`
// tag, or by the field name, matched exactly first and then ignoring case;
// `aemp:"-"` skips a field; keys without a field are ignored), into
// []T from an array, map[string]T from a map, a pointer (nil for undef) or
// any (the raw value); undef gives the zero value. Scalars convert with Perl's rules, strictly as Int
// and Float do. A mismatch is an *ArgError naming the path inside the
// argument; fields decoded before it keep their values.
func (a Args) Decode(i int, v any) error {
	rv, err := decodeTarget(v)
	if err != nil {
		return err
	}
	if i < 0 || i >= len(a) {
		return a.mismatch(i, wantOf(rv.Type()))
	}
	return a.decodeAt(i, "", a[i], rv)
}

// DecodeAll stores the whole argument list in the struct v points to: its
// exported fields in order take the arguments in order, as Perl's
// `my ($tag, $name, $count) = @_` does. A field tagged `aemp:"-"` is skipped
// and takes no position; a last field of slice type tagged `aemp:",rest"`
// takes the remaining arguments (Perl's `my ($tag, @rest) = @_`). Fields
// without an argument keep their zero value, like Perl's undef; arguments
// without a field are ignored. Each field converts as Decode does.
func (a Args) DecodeAll(v any) error {
	rv, err := decodeTarget(v)
	if err != nil {
		return err
	}
	if rv.Kind() != reflect.Struct {
		return fmt.Errorf("node: DecodeAll needs a pointer to a struct, not %T", v)
	}
	pos := 0
	for _, f := range structFields(rv.Type()) {
		fv := rv.Field(f.index)
		if f.rest {
			if fv.Kind() != reflect.Slice {
				return fmt.Errorf("node: DecodeAll: field %s tagged rest is not a slice", f.goName)
			}
			if pos < len(a) {
				fv.Set(reflect.MakeSlice(fv.Type(), len(a)-pos, len(a)-pos))
				for j := range fv.Len() {
					if err := a.decodeAt(pos+j, "", a[pos+j], fv.Index(j)); err != nil {
						return err
					}
				}
			}
			return nil
		}
		if pos < len(a) {
			if err := a.decodeAt(pos, "", a[pos], fv); err != nil {
				return err
			}
		}
		pos++
	}
	return nil
}

// at returns argument i, or an ArgError when there is none.
func (a Args) at(i int, want string) (any, error) {
	if i < 0 || i >= len(a) {
		return nil, a.mismatch(i, want)
	}
	return a[i], nil
}

func (a Args) mismatch(i int, want string) *ArgError {
	if i < 0 || i >= len(a) {
		return &ArgError{Index: i, Want: want, Got: fmt.Sprintf("nothing (%d arguments)", len(a))}
	}
	return &ArgError{Index: i, Want: want, Got: describeArg(a[i])}
}

func (a Args) decodeAt(i int, path string, raw any, rv reflect.Value) error {
	err := decodeValue(path, raw, rv)
	var fe *fieldError
	if errors.As(err, &fe) {
		return &ArgError{Index: i, Field: fe.path, Want: fe.want, Got: describeArg(fe.got)}
	}
	return err
}

// perlInt is Int's conversion; ok is false when v is not a whole number in
// Perl's sense or does not fit in an int64.
func perlInt(v any) (int64, bool) {
	switch x := v.(type) {
	case nil, bool:
		f, _ := protocol.PerlNumber(x) // 0 or 1
		return int64(f), true
	case int64:
		return x, true
	case int:
		return int64(x), true
	case uint64:
		return int64(x), x <= math.MaxInt64
	case float64:
		return truncInt(x)
	case string, []byte:
		s := scalarText(x)
		if !protocol.LooksLikeNumber(s) {
			return 0, false
		}
		// Exact for the integers beyond float64's 53 bits that Perl keeps
		// as IVs ("9223372036854775807").
		if n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64); err == nil {
			return n, true
		}
		return truncInt(protocol.PerlNumify(s))
	}
	return 0, false
}

// truncInt is Perl's int() for a float that fits in an int64.
func truncInt(f float64) (int64, bool) {
	t := math.Trunc(f)
	if math.IsNaN(t) || t < math.MinInt64 || t >= math.MaxInt64 {
		return 0, false
	}
	return int64(t), true
}

// perlFloat is Float's conversion; ok is false for strings that are not a
// number as a whole, arrays and maps.
func perlFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case string, []byte:
		s := scalarText(x)
		if !protocol.LooksLikeNumber(s) {
			return 0, false
		}
		return protocol.PerlNumify(s), true
	}
	return protocol.PerlNumber(v)
}

func scalarText(v any) string {
	if b, ok := v.([]byte); ok {
		return string(b)
	}
	return v.(string)
}

// describeArg shows a value for an ArgError: the value and, for scalars,
// its kind, since "42" and 42 look alike in Perl but not in a log.
func describeArg(v any) string {
	const max = 40
	switch x := v.(type) {
	case nil:
		return "undef"
	case bool:
		return strconv.FormatBool(x) + " (a boolean)"
	case string, []byte:
		s := scalarText(x)
		if len(s) > max {
			s = s[:max] + "..."
		}
		return strconv.Quote(s) + " (a string)"
	case int64, uint64, int, float64:
		s, _ := protocol.PerlString(x)
		return s + " (a number)"
	case []any:
		return fmt.Sprintf("an array of %d", len(x))
	case map[string]any:
		return fmt.Sprintf("a map of %d", len(x))
	}
	return fmt.Sprintf("a %T", v)
}
