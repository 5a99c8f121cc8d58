package compat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"unicode/utf8"
)

// The rc file is read with JSON::XS->new->utf8->relaxed and written with
// JSON::XS->new->pretty->utf8 (Config.pm load, lines 31-43, and save, lines
// 45-61). This file reproduces both dialects, so that a Go rewrite of a file
// differs from a Perl rewrite only in key order (Perl's hash order is random;
// we sort).

// decodeRelaxed parses data as JSON::XS's relaxed utf8 decoder does. Relaxed
// mode accepts three extensions, which we turn into strict JSON before handing
// the text to encoding/json:
//
//   - one trailing comma after the last element of an array or object
//     ("[1,2,]", "{"a":1,}"), but not "[,]", "{,}" or "[1,,]";
//   - shell-style comments from '#' to the next CR or LF wherever whitespace
//     is allowed;
//   - literal TAB characters inside strings, read as "\t".
//
// Numbers are kept as json.Number so that nothing is rounded on a round trip.
// The input must be valid UTF-8 (JSON::XS's utf8 mode rejects malformed
// input; encoding/json would silently replace it with U+FFFD) and must hold
// exactly one JSON value, optionally surrounded by whitespace and comments.
func decodeRelaxed(data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, errors.New("malformed UTF-8 (JSON::XS's utf8 mode rejects it too)")
	}
	strict, inserted := relaxedToStrict(data)
	dec := json.NewDecoder(bytes.NewReader(strict))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		if err == io.EOF {
			return nil, errors.New("no JSON text (empty file)")
		}
		return nil, locateError(data, strict, inserted, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		off := int(dec.InputOffset())
		return nil, fmt.Errorf("%s: garbage after the JSON text", position(data, originalOffset(inserted, off)))
	}
	return v, nil
}

// relaxedToStrict rewrites the relaxed extensions into strict JSON. Comments
// and trailing commas become spaces so that offsets stay put; a literal TAB in
// a string becomes the two bytes `\t`, and the strict offsets where that
// happened are returned so that error positions can be mapped back.
func relaxedToStrict(data []byte) (out []byte, inserted []int) {
	out = make([]byte, 0, len(data)+8)
	inString, escaped := false, false
	var last byte      // last significant byte outside strings
	pendingComma := -1 // index in out of a comma that may turn out to be trailing
	for i := 0; i < len(data); i++ {
		c := data[i]
		if inString {
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			case c == '\t':
				inserted = append(inserted, len(out)+1)
				out = append(out, '\\', 't')
				continue
			}
			out = append(out, c)
			continue
		}
		switch c {
		case ' ', '\t', '\n', '\r':
			out = append(out, c)
			continue
		case '#':
			for i < len(data) && data[i] != '\n' && data[i] != '\r' {
				out = append(out, ' ')
				i++
			}
			i-- // let the loop see the line end (or stop at EOF)
			continue
		case ',':
			pendingComma = -1
			// Only a comma that follows a complete element can be trailing;
			// "[,]" and "{,}" must stay errors, as in JSON::XS.
			if last != 0 && last != '[' && last != '{' && last != ',' && last != ':' {
				pendingComma = len(out)
			}
		case ']', '}':
			if pendingComma >= 0 {
				out[pendingComma] = ' '
			}
			pendingComma = -1
		case '"':
			inString = true
			pendingComma = -1
		default:
			pendingComma = -1
		}
		out = append(out, c)
		last = c
	}
	return out, inserted
}

// originalOffset maps an offset in the strict text back to the input.
func originalOffset(inserted []int, off int) int {
	n := 0
	for _, p := range inserted {
		if p < off {
			n++
		}
	}
	return off - n
}

func locateError(data, strict []byte, inserted []int, err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		// Offset counts the offending byte; point at it, not after it.
		return fmt.Errorf("%s: %v", position(data, originalOffset(inserted, int(se.Offset)-1)), se)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%s: unexpected end of JSON text", position(data, len(data)))
	}
	return err
}

// position renders a byte offset as "line L, column C" (both 1-based).
func position(data []byte, off int) string {
	if off > len(data) {
		off = len(data)
	}
	if off < 0 {
		off = 0
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d", line, col)
}

// encodePretty encodes v exactly as JSON::XS->new->pretty->utf8->encode does,
// except that object keys are sorted (Perl writes them in random hash order):
//
//   - 3 spaces per indent level, one element per line;
//   - `"key" : value` (space_before and space_after);
//   - empty arrays and objects as `[]` and `{}`;
//   - a final newline after the top-level value (JSON::XS 2.26 and later);
//   - strings as raw UTF-8, escaping only `"`, `\`, the five named control
//     escapes (\b \t \n \f \r) and other bytes below 0x20 as \u00xx with
//     lower-case hex; '/' and DEL are not escaped (JSON::XS encode_str);
//   - numbers as perlNumberText prints them.
func encodePretty(v any) ([]byte, error) {
	var b bytes.Buffer
	if err := writePretty(&b, v, 0); err != nil {
		return nil, err
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

const indentStep = 3 // JSON::XS INDENT_STEP

func writeIndent(b *bytes.Buffer, level int) {
	for i := 0; i < level*indentStep; i++ {
		b.WriteByte(' ')
	}
}

func writePretty(b *bytes.Buffer, v any, level int) error {
	switch x := v.(type) {
	case nil:
		b.WriteString("null")
	case bool:
		if x {
			b.WriteString("true")
		} else {
			b.WriteString("false")
		}
	case json.Number:
		s, err := perlNumberText(x)
		if err != nil {
			return err
		}
		b.WriteString(s)
	case string:
		return writeString(b, x)
	case []any:
		if len(x) == 0 {
			b.WriteString("[]")
			return nil
		}
		b.WriteString("[\n")
		for i, e := range x {
			writeIndent(b, level+1)
			if err := writePretty(b, e, level+1); err != nil {
				return err
			}
			if i < len(x)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		writeIndent(b, level)
		b.WriteByte(']')
	case map[string]any:
		if len(x) == 0 {
			b.WriteString("{}")
			return nil
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString("{\n")
		for i, k := range keys {
			writeIndent(b, level+1)
			if err := writeString(b, k); err != nil {
				return err
			}
			b.WriteString(" : ")
			if err := writePretty(b, x[k], level+1); err != nil {
				return fmt.Errorf("%s: %w", k, err)
			}
			if i < len(keys)-1 {
				b.WriteByte(',')
			}
			b.WriteByte('\n')
		}
		writeIndent(b, level)
		b.WriteByte('}')
	default:
		c, err := toRCValue(v)
		if err != nil {
			return err
		}
		return writePretty(b, c, level)
	}
	return nil
}

func writeString(b *bytes.Buffer, s string) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("string %q is not valid UTF-8", s)
	}
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b.WriteString(`\"`)
		case c == '\\':
			b.WriteString(`\\`)
		case c == '\b':
			b.WriteString(`\b`)
		case c == '\t':
			b.WriteString(`\t`)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\f':
			b.WriteString(`\f`)
		case c == '\r':
			b.WriteString(`\r`)
		case c < 0x20:
			b.WriteString(`\u00`)
			b.WriteString(strconv.FormatUint(uint64(c)>>4, 16))
			b.WriteString(strconv.FormatUint(uint64(c)&15, 16))
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return nil
}
