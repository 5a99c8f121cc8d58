package protocol

import (
	"encoding/binary"
	"fmt"
	"maps"
	"math"
	"math/bits"
	"slices"
	"strconv"
	"unicode/utf8"
)

// FramingJSON is the "json" framing: each message is one JSON array as
// JSON::XS::encode_json writes it (UTF-8, no white space), and messages are
// simply concatenated, with no delimiter and no length prefix.
const FramingJSON = "json"

// AppendJSON appends m in JSON framing to dst, byte for byte as JSON::XS
// encode_json would write the same values.
//
// Like the decoder (JSONDecoder), the encoder is purpose-built: JSON::XS escapes differently from Go encoders (no HTML escapes, no
// \u2028, control characters as lowercase \u00XX) and prints floats with
// Perl's %g rule, and the byte-exact form is what Perl peers and recorded
// transcripts compare against.
func AppendJSON(dst []byte, m Message) ([]byte, error) {
	return appendJSONElements(appendJSONString(append(dst, '['), m.Port), m.Data)
}

// appendJSONElements writes the elements of a message after its first
// (",value" each) and the closing bracket.
func appendJSONElements(dst []byte, data []any) ([]byte, error) {
	var err error
	for _, v := range data {
		dst = append(dst, ',')
		if dst, err = appendJSONValue(dst, v); err != nil {
			return nil, err
		}
	}
	return append(dst, ']'), nil
}

func appendJSONValue(dst []byte, v any) ([]byte, error) {
	var err error
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...), nil
	case bool:
		if x {
			return append(dst, "true"...), nil
		}
		return append(dst, "false"...), nil
	case string:
		return appendJSONString(dst, x), nil
	case []byte:
		return appendJSONLatin1(dst, x), nil
	case int64:
		return appendInt(dst, x), nil
	case int:
		return appendInt(dst, int64(x)), nil
	case int32:
		return appendInt(dst, int64(x)), nil
	case uint64:
		return appendUint(dst, x), nil
	case uint32:
		return appendUint(dst, uint64(x)), nil
	case uint:
		return appendUint(dst, uint64(x)), nil
	case float64:
		return appendJSONFloat(dst, x), nil
	case float32:
		return appendJSONFloat(dst, float64(x)), nil
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = appendJSONValue(dst, e); err != nil {
				return nil, err
			}
		}
		return append(dst, ']'), nil
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendJSONString(dst, e)
		}
		return append(dst, ']'), nil
	case map[string]any:
		return appendJSONMap(dst, x, appendJSONValue)
	case map[string]string:
		return appendJSONMap(dst, x, func(dst []byte, s string) ([]byte, error) { return appendJSONString(dst, s), nil })
	}
	return nil, fmt.Errorf("protocol: cannot encode %T as an AEMP value", v)
}

// appendInt writes i in decimal, as strconv.AppendInt(dst, i, 10) does.
func appendInt(dst []byte, i int64) []byte {
	if i < 0 {
		return appendUint(append(dst, '-'), uint64(-i)) // -MinInt64 wraps to itself, 1<<63 as uint64
	}
	return appendUint(dst, uint64(i))
}

// appendUint writes u in decimal, as strconv.AppendUint(dst, u, 10) does:
// numbers below 1000 (what AEMP messages mostly carry) straight into dst,
// two digits at a time from a table, where strconv's general formatter
// cost more than the rest of a typical message's encoding.
func appendUint(dst []byte, u uint64) []byte {
	switch {
	case u < 10:
		return append(dst, byte('0'+u))
	case u < 100:
		return append(dst, digitPairs[2*u], digitPairs[2*u+1])
	case u < 1000:
		q := u / 100
		r := u - q*100
		return append(dst, byte('0'+q), digitPairs[2*r], digitPairs[2*r+1])
	}
	var b [20]byte // 1<<64-1 has 20 digits
	i := len(b)
	for u >= 100 {
		q := u / 100
		r := u - q*100
		i -= 2
		b[i], b[i+1] = digitPairs[2*r], digitPairs[2*r+1]
		u = q
	}
	if u >= 10 {
		i -= 2
		b[i], b[i+1] = digitPairs[2*u], digitPairs[2*u+1]
	} else {
		i--
		b[i] = byte('0' + u)
	}
	return append(dst, b[i:]...)
}

// digitPairs holds "00" to "99".
const digitPairs = "00010203040506070809" +
	"10111213141516171819" +
	"20212223242526272829" +
	"30313233343536373839" +
	"40414243444546474849" +
	"50515253545556575859" +
	"60616263646566676869" +
	"70717273747576777879" +
	"80818283848586878889" +
	"90919293949596979899"

// appendJSONMap writes a map with its keys in sorted order.
func appendJSONMap[V any](dst []byte, m map[string]V, appendValue func([]byte, V) ([]byte, error)) ([]byte, error) {
	dst = append(dst, '{')
	var err error
	for i, k := range sortedKeys(m) {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = appendJSONString(dst, k)
		dst = append(dst, ':')
		if dst, err = appendValue(dst, m[k]); err != nil {
			return nil, err
		}
	}
	return append(dst, '}'), nil
}

// appendJSONFloat writes finite floats as Perl does. Quirk: JSON::XS
// writes infinities and NaN as Perl prints them ("inf", "nan"), which no
// JSON decoder accepts, so the connection would break; aemp-go writes null.
func appendJSONFloat(dst []byte, f float64) []byte {
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return append(dst, "null"...)
	}
	return appendPerlFloat(dst, f)
}

// sortedKeys makes map output deterministic. Perl writes hash order, which
// is random, so no order is "the" Perl order; sorted is reproducible.
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }

const hexDigits = "0123456789abcdef"

// appendJSONString writes s as JSON::XS does with the utf8 option: '"' and
// '\' escaped, \b \t \n \f \r by name, other control characters as
// lowercase \u00XX, everything else (DEL, '/', non-ASCII) raw. A string that
// is not valid UTF-8 holds Perl bytes (see Message), which Perl would
// write as Latin-1 characters, so it is written that way.
//
// One pass over s for the common case: eight bytes at a time are checked
// for anything but plain ASCII and stored as they are, so plain strings
// are copied as they are checked. UTF-8 is validated only from the first
// non-ASCII byte on.
func appendJSONString(dst []byte, s string) []byte {
	start0 := len(dst)
	dst = append(dst, '"')
	checkHigh := true // no non-ASCII byte seen yet, so UTF-8 not yet validated
	i := 0
	for {
		for i+8 <= len(s) {
			w := load64(s, i)
			m := jsonSpecial(w)
			if checkHigh {
				m |= w & hiBits
			}
			if cap(dst)-len(dst) < 8 {
				dst = slices.Grow(dst, len(s)-i+2)
			}
			n := len(dst)
			binary.LittleEndian.PutUint64(dst[n:n+8], w) // into the spare capacity
			if m != 0 {
				k := bits.TrailingZeros64(m) / 8 // the first flagged byte is exact
				dst = dst[:n+k]
				i += k
				break
			}
			dst = dst[:n+8]
			i += 8
		}
		for ; i < len(s); i++ {
			c := s[i]
			if c < 0x20 || c == '"' || c == '\\' || c >= 0x80 && checkHigh {
				break
			}
			dst = append(dst, c)
		}
		if i == len(s) {
			return append(dst, '"')
		}
		c := s[i]
		if c >= 0x80 {
			// s[:i] is ASCII: s is UTF-8 exactly when the rest is
			if !utf8.ValidString(s[i:]) {
				return appendJSONLatin1(dst[:start0], []byte(s))
			}
			checkHigh = false
			continue
		}
		dst = appendJSONEscape(dst, c)
		i++
	}
}

// appendJSONLatin1 writes bytes as the characters U+0000..U+00FF, which
// is how JSON::XS writes a Perl byte string ("\xff" becomes "ÿ").
func appendJSONLatin1(dst []byte, b []byte) []byte {
	dst = append(dst, '"')
	for _, c := range b {
		switch {
		case c < 0x20 || c == '"' || c == '\\':
			dst = appendJSONEscape(dst, c)
		case c < 0x80:
			dst = append(dst, c)
		default:
			dst = utf8.AppendRune(dst, rune(c))
		}
	}
	return append(dst, '"')
}

func appendJSONEscape(dst []byte, c byte) []byte {
	switch c {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\t':
		return append(dst, '\\', 't')
	case '\n':
		return append(dst, '\\', 'n')
	case '\f':
		return append(dst, '\\', 'f')
	case '\r':
		return append(dst, '\\', 'r')
	}
	return append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
}

// ParseNumber turns the text of a JSON number into the value model:
// int64, uint64 above its range, or float64 (the decoders' rule; tools
// that read JSON themselves use it to build the same values).
func ParseNumber(s string) any {
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return i
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return s // cannot happen for a number the decoder accepted
	}
	return f
}
