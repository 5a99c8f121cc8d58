package protocol

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// refJSONString is appendJSONString as it was before the word-at-a-time
// scan (two passes: UTF-8 validation, then escapes): the reference the
// fast version must match byte for byte.
func refJSONString(dst []byte, s string) []byte {
	if !utf8.ValidString(s) {
		return appendJSONLatin1(dst, []byte(s))
	}
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		dst = append(dst, s[start:i]...)
		dst = appendJSONEscape(dst, c)
		start = i + 1
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// refCBORString is appendCBORString before the word-at-a-time scan.
func refCBORString(dst []byte, s string) []byte {
	major := byte(cborBytes)
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			if utf8.ValidString(s) {
				major = cborText
			}
			break
		}
	}
	dst = cborHead(dst, major, uint64(len(s)))
	return append(dst, s...)
}

// encodeStringCases puts every kind of byte at every position of a word,
// and non-ASCII text before and after escapes, valid and not.
func encodeStringCases() []string {
	cases := []string{"", "a", "plain-ascii-0123456789", `"`, `\`, "\x00", "\x1f", " ", "\x7f", "/",
		"é", "ÿ", "\xff", "\xc3", "€uro", "日本語テキスト", "\xed\xa0\x80", "\xf4\x90\x80\x80",
		"ascii then é then \"quoted\" and \\ and \n", "é\xff", "abcdefgh\xff", "abcdefghé\x01\"",
		strings.Repeat("x", 100) + "\t" + strings.Repeat("y", 100), strings.Repeat("é", 40) + "\x80"}
	for _, special := range []string{`"`, `\`, "\x00", "\n", "\x1f", "\x20", "\x21", "\x5b", "\x5d", "\x7f", "\x80", "é", "\xff", "€"} {
		for pre := 0; pre <= 17; pre++ {
			for _, post := range []string{"", "z", "0123456789abcdef", `"`, "é", "\xfe"} {
				cases = append(cases, strings.Repeat("a", pre)+special+post)
			}
		}
	}
	return cases
}

func TestStringEncodersMatchReference(t *testing.T) {
	for _, s := range encodeStringCases() {
		checkStringEncoders(t, s)
	}
}

// FuzzStringEncoders: the word-at-a-time string encoders write exactly
// what the byte-by-byte reference versions wrote, for any bytes.
func FuzzStringEncoders(f *testing.F) {
	for _, s := range encodeStringCases() {
		f.Add(s)
	}
	f.Fuzz(checkStringEncoders)
}

func checkStringEncoders(t *testing.T, s string) {
	prefix := []byte("[1,")
	got := appendJSONString(bytes.Clone(prefix), s)
	want := refJSONString(bytes.Clone(prefix), s)
	if !bytes.Equal(got, want) {
		t.Fatalf("JSON of %q: %q, reference %q", s, got, want)
	}
	got = appendCBORString(bytes.Clone(prefix), s)
	want = refCBORString(bytes.Clone(prefix), s)
	if !bytes.Equal(got, want) {
		t.Fatalf("CBOR of %q: %x, reference %x", s, got, want)
	}
}

// FuzzDecimal: appendInt and appendUint write what strconv does.
func FuzzDecimal(f *testing.F) {
	for _, v := range []uint64{0, 1, 9, 10, 99, 100, 123, 999, 1000, 1<<31 - 1, 1 << 31, 1<<32 - 1, 1 << 32,
		1e15, 1e18, 1e19 - 1, 1e19, 1<<63 - 1, 1 << 63, 1<<64 - 1} {
		f.Add(v)
		f.Add(-v) // as int64: the negative numbers, MinInt64 among them
	}
	f.Fuzz(func(t *testing.T, u uint64) {
		prefix := []byte("[1,")
		if got, want := appendUint(bytes.Clone(prefix), u), strconv.AppendUint(bytes.Clone(prefix), u, 10); !bytes.Equal(got, want) {
			t.Fatalf("appendUint(%d) = %q, want %q", u, got, want)
		}
		i := int64(u)
		if got, want := appendInt(bytes.Clone(prefix), i), strconv.AppendInt(bytes.Clone(prefix), i, 10); !bytes.Equal(got, want) {
			t.Fatalf("appendInt(%d) = %q, want %q", i, got, want)
		}
	})
}

// encoderSequence is a stream whose port and tag repeat, change and
// return: the Encoder must write each message exactly as the stateless
// encoders do, whatever it remembers from the message before.
func encoderSequence(port1, tag1, port2, tag2 string) []Message {
	long := strings.Repeat("p", maxEncodedPrefix+1)
	return []Message{
		{Port: port1, Data: []any{tag1, int64(123), "payload-string-0123456789"}},
		{Port: port1, Data: []any{tag1, int64(124), "payload-string-0123456789"}},
		{Port: port1, Data: []any{tag1}},           // the tag alone
		{Port: port1, Data: []any{tag2, int64(1)}}, // another tag
		{Port: port2, Data: []any{tag2, int64(1)}}, // another port
		{Port: port1, Data: []any{tag1, int64(1)}}, // back
		{Port: port1, Data: []any{int64(7), tag1}}, // a tag that is not a string
		{Port: port1}, // no data
		{Port: port1, Data: []any{tag1, map[string]any{"k": []any{tag1}}}},
		{Port: long, Data: []any{tag1}}, {Port: long, Data: []any{tag1}}, // too long to remember
		{Port: port1, Data: []any{long}}, {Port: port1, Data: []any{long}},
		{Port: port1, Data: []any{tag1, int64(1)}},
		{Port: port1 + "x", Data: []any{tag1, int64(1)}}, // port and tag of the same total length
		{Port: port1, Data: []any{"x" + tag1, int64(1)}},
		{Port: port1, Data: []any{tag1, func() {}}}, // an error: the stream goes on
		{Port: port1, Data: []any{tag1, int64(2)}},
	}
}

func checkEncoder(t *testing.T, port1, tag1, port2, tag2 string) {
	for _, framing := range []string{FramingJSON, FramingCBOR} {
		e, err := NewEncoder(framing)
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := Appender(framing)
		for i, m := range encoderSequence(port1, tag1, port2, tag2) {
			prefix := []byte("xy")
			got, gotErr := e.Append(bytes.Clone(prefix), m)
			want, wantErr := ref(bytes.Clone(prefix), m)
			if (gotErr != nil) != (wantErr != nil) || !bytes.Equal(got, want) {
				t.Fatalf("%s message %d %v: Encoder %q (%v), %s encoder %q (%v)", framing, i, m, got, gotErr, framing, want, wantErr)
			}
		}
	}
}

func TestEncoderMatchesStatelessEncoders(t *testing.T) {
	for _, c := range [][4]string{
		{"recv#bench", "test", "other#port", "ping"},
		{"a#b", "t", "a#b", "u"},
		{"", "", "x", ""},
		{"n#\"quoted\"", "tag\\with\nescapes", "é#ü", "\xff\xfe"}, // escapes, UTF-8, Perl bytes
		{"node#port", "tag", "node#port", "tag"},                  // the second pair the same
	} {
		checkEncoder(t, c[0], c[1], c[2], c[3])
	}
	if _, err := NewEncoder("yaml"); !errors.Is(err, ErrNoCommonFraming) {
		t.Fatalf("NewEncoder(yaml): %v", err)
	}
}

// FuzzEncoder: the Encoder writes what the stateless encoders write, for
// any ports and tags, in any order of repeats and changes.
func FuzzEncoder(f *testing.F) {
	f.Add("recv#bench", "test", "other#port", "ping")
	f.Add("n#\"q\"", "t\x00", "é", "\xff")
	f.Fuzz(checkEncoder)
}
