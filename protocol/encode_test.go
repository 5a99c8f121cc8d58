package protocol

import (
	"bytes"
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
