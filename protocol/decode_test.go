package protocol

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"runtime"
	"strings"
	"testing"
)

func decodeOne(t *testing.T, framing string, b []byte) (Message, error) {
	t.Helper()
	d, err := NewDecoder(framing, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return d.Decode()
}

// TestCBORTagsDecodeToTheirContent: every tag stands for its content,
// including the date/time tags 0 and 1 whose content fxamacker would have
// rejected (dropping the connection).
func TestCBORTagsDecodeToTheirContent(t *testing.T) {
	f64 := func(f float64) []byte {
		b := []byte{0xfb}
		for s := 56; s >= 0; s -= 8 {
			b = append(b, byte(math.Float64bits(f)>>s))
		}
		return b
	}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	for _, tc := range []struct {
		name string
		item []byte
		want any
	}{
		{"tag 0 with a string that is no date", cat([]byte{0xc0, 0x6a}, []byte("not a date")), "not a date"},
		{"tag 0 with a date", cat([]byte{0xc0, 0x74}, []byte("2013-03-21T20:04:00Z")), "2013-03-21T20:04:00Z"},
		{"tag 0 with a number", []byte{0xc0, 0x05}, int64(5)},
		{"tag 1 with 1e300", cat([]byte{0xc1}, f64(1e300)), 1e300},
		{"tag 1 with an integer", []byte{0xc1, 0x1a, 0x51, 0x4b, 0x67, 0xb0}, int64(1363896240)},
		{"tag 1 with a string", []byte{0xc1, 0x61, 'x'}, "x"},
		{"unassigned tag", []byte{0xd9, 0x01, 0x00, 0x61, 'x'}, "x"},
		{"nested tags", []byte{0xc6, 0xc0, 0xc1, 0x01}, int64(1)},
		{"bignum", []byte{0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0}, 0x1p64},
		{"negative bignum", []byte{0xc3, 0x41, 0x04}, -5.0},
		{"tag 2 on a non-byte string", []byte{0xc2, 0x05}, int64(5)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, framed := range [][]byte{
				cat([]byte{0x82, 0x41, 'p'}, tc.item),       // a value
				cat([]byte{0xc0, 0x82, 0x41, 'p'}, tc.item), // under a tag itself
			} {
				m, err := decodeOne(t, FramingCBOR, framed)
				if err != nil {
					t.Fatalf("%x: %v", framed, err)
				}
				if m.Port != "p" || len(m.Data) != 1 || !sameValue(m.Data[0], tc.want) {
					t.Fatalf("%x decoded to %#v, want [%#v]", framed, m, tc.want)
				}
			}
			v, err := DecodeCBORValue(tc.item)
			if err != nil || !sameValue(v, tc.want) {
				t.Fatalf("DecodeCBORValue = %#v, %v", v, err)
			}
		})
	}
}

// countingReader counts the bytes it hands out.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// endless returns prefix, then fill forever.
type endless struct {
	prefix []byte
	fill   byte
}

func (e *endless) Read(p []byte) (int, error) {
	n := copy(p, e.prefix)
	e.prefix = e.prefix[n:]
	for i := n; i < len(p); i++ {
		p[i] = e.fill
	}
	return len(p), nil
}

// TestOversizeMessageIsRefusedWhileReading: a message that never ends is
// refused once it passes the limit, having read at most the limit plus
// one buffer, for every shape of endless message.
func TestOversizeMessageIsRefusedWhileReading(t *testing.T) {
	const limit = 100_000
	for _, tc := range []struct {
		framing string
		prefix  string
		fill    byte
	}{
		{FramingJSON, `["port","`, 'a'},      // one endless string
		{FramingJSON, `["port",`, '['},       // endless nesting (depth check first)
		{FramingJSON, `["port",0`, ' '},      // endless white space inside
		{FramingCBOR, "\x82\x41p\x5f", 0x41}, // indefinite byte string of 1-byte chunks... of 0x41 heads
		{FramingCBOR, "\x82\x41p\x9f", 0x00}, // indefinite array of zeros
	} {
		r := &countingReader{r: &endless{prefix: []byte(tc.prefix), fill: tc.fill}}
		d, _ := NewStreamDecoder(tc.framing, r, DecodeLimits{MaxMessageBytes: limit})
		var err error
		for range 1000 {
			if _, err = d.Decode(); err != nil {
				break
			}
		}
		if !errors.Is(err, ErrMessageTooLarge) && !errors.Is(err, errTooDeep) {
			t.Errorf("%s %q: %v", tc.framing, tc.prefix, err)
		}
		if r.n > limit+2*readSize {
			t.Errorf("%s %q: read %d bytes for a limit of %d", tc.framing, tc.prefix, r.n, limit)
		}
		var tl *MessageTooLargeError
		if errors.As(err, &tl) && (tl.Limit != limit || tl.Size <= limit || !strings.Contains(tl.Error(), "100000")) {
			t.Errorf("%s: %#v %q", tc.framing, tl, tl.Error())
		}
	}
}

// TestCBORLengthHeadersAreCheckedBeforeReading: a header that declares
// more than the limit fails at once, before its bytes are read, and one
// that claims many elements allocates nothing up front.
func TestCBORLengthHeadersAreCheckedBeforeReading(t *testing.T) {
	for _, head := range [][]byte{
		{0x82, 0x41, 'p', 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0},       // byte string of 2^62 bytes
		{0x82, 0x41, 'p', 0x7b, 0x40, 0, 0, 0, 0, 0, 0, 0},       // text string of 2^62 bytes
		{0x82, 0x41, 'p', 0x9b, 0x10, 0, 0, 0, 0, 0, 0, 0},       // array of 2^60 elements
		{0x82, 0x41, 'p', 0xbb, 0x10, 0, 0, 0, 0, 0, 0, 0},       // map of 2^60 pairs
		{0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},   // top-level array of 2^64-1
		{0x82, 0x41, 'p', 0x5f, 0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0}, // a chunk of 2^62
	} {
		// The reader fails the test if asked for more than the header.
		d, _ := NewDecoder(FramingCBOR, io.MultiReader(bytes.NewReader(head), failReader{t}))
		if _, err := d.Decode(); !errors.Is(err, ErrMessageTooLarge) {
			t.Errorf("%x: %v", head, err)
		}
	}
	// 4M elements declared, within the limit, but the data never comes.
	head := []byte{0x82, 0x41, 'p', 0x9a, 0x00, 0x40, 0x00, 0x00}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, _ := NewDecoder(FramingCBOR, bytes.NewReader(head))
	_, err := d.Decode()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated array: %v", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
		t.Errorf("a truncated array header cost %d bytes", n)
	}
}

type failReader struct{ t *testing.T }

func (f failReader) Read([]byte) (int, error) {
	f.t.Error("decoder read past a header that declares too much")
	return 0, io.EOF
}

// nested returns n levels of open ... close.
func nested(open, close string, n int) string {
	return strings.Repeat(open, n) + strings.Repeat(close, n)
}

// TestNestingDepthIsBounded: MaxDepth levels decode, one more fails.
func TestNestingDepthIsBounded(t *testing.T) {
	for _, depth := range []int{1, 5, DefaultMaxDepth} {
		for _, tc := range []struct {
			framing string
			msg     func(levels int) []byte // the message has levels levels
		}{
			{FramingJSON, func(n int) []byte { return []byte(`["p",` + nested("[", "]", n-1) + "]") }},
			{FramingJSON, func(n int) []byte {
				return []byte(`["p",` + strings.Repeat(`{"":`, n-2) + "{}" + strings.Repeat("}", n-2) + "]")
			}},
			{FramingCBOR, func(n int) []byte { return []byte("\x82\x41p" + strings.Repeat("\x81", n-2) + "\x80") }},
			{FramingCBOR, func(n int) []byte { return []byte("\x82\x41p" + strings.Repeat("\xc6", n-1) + "\x00") }},
		} {
			lim := DecodeLimits{MaxDepth: depth}
			for _, levels := range []int{depth, depth + 1} {
				if levels < 2 {
					continue
				}
				b := tc.msg(levels)
				for _, r := range []io.Reader{bytes.NewReader(b), &splitReader{data: b}} {
					d, _ := NewStreamDecoder(tc.framing, r, lim)
					_, err := d.Decode()
					if levels <= depth && err != nil {
						t.Errorf("%s depth %d of %d: %v", tc.framing, levels, depth, err)
					}
					if levels > depth && !errors.Is(err, errTooDeep) {
						t.Errorf("%s depth %d of %d: %v, want too deep", tc.framing, levels, depth, err)
					}
				}
			}
		}
	}
}

// TestBufferedTellsWhetherDecodeReads checks Buffered on a stream of two
// messages that arrive in reads of 3 bytes.
func TestBufferedTellsWhetherDecodeReads(t *testing.T) {
	data := []byte(`["a",1] ["b",2]`)
	r := &splitReader{data: data, splits: []byte{2}}
	d, _ := NewDecoder(FramingJSON, r)
	if d.Buffered() != 0 {
		t.Fatal("Buffered before the first read")
	}
	if m, err := d.Decode(); err != nil || m.Port != "a" {
		t.Fatal(m, err)
	}
	// 9 bytes read: `["a",1] [`, the rest of the second message is missing.
	if n := d.Buffered(); n != 0 {
		t.Fatalf("Buffered = %d with half a message buffered", n)
	}
	// so the second Decode has to read the rest.
	before := r.reads
	if _, err := d.Decode(); err != nil {
		t.Fatal(err)
	}
	if r.reads == before {
		t.Fatal("Decode did not read")
	}
	if _, err := d.Decode(); err != io.EOF {
		t.Fatalf("after two messages: %v", err)
	}
	// A batch in one read: Buffered counts what is left.
	d, _ = NewDecoder(FramingCBOR, bytes.NewReader([]byte{0x81, 0x41, 'a', 0x81, 0x41, 'b'}))
	d.Decode()
	if n := d.Buffered(); n != 3 {
		t.Fatalf("Buffered = %d, want 3", n)
	}
}

// TestJSONStringsMatchGoccy pins the string rules the stream decoder
// shares with goccy/go-json (the fuzz targets check them against it).
func TestJSONStringsMatchGoccy(t *testing.T) {
	for in, want := range map[string]string{
		`"\ud83d\ude00"`:           "😀",
		`"\ud800"`:                 "\ufffd",
		`"\udc00x"`:                "\ufffdx",
		`"\ud800\u0041"`:           "\ufffdA",
		`"\uD800\uDBFF"`:           "\ufffd\ufffd",
		`"\u00e9\/\b\f\n\r\t\"\\"`: "é/\b\f\n\r\t\"\\",
		"\"a\xffb\"":               "a\ufffdb",
		"\"\xed\xa0\x80\"":         "\ufffd\ufffd\ufffd",
		"\"\x7f\u20ac\"":           "\x7f€",
	} {
		b := []byte(`["p",` + in + `]`)
		for _, r := range []io.Reader{bytes.NewReader(b), &splitReader{data: b}} {
			d, _ := NewDecoder(FramingJSON, r)
			m, err := d.Decode()
			if err != nil || len(m.Data) != 1 || m.Data[0] != want {
				t.Errorf("%s: %#v, %v; want %q", in, m.Data, err, want)
			}
		}
		diffDecode(t, FramingJSON, b, []byte{1})
	}
	for _, bad := range []string{`"a` + "\x01" + `"`, `"\x"`, `"\u12G4"`, `01`, `1.`, `-`, `.5`, `+1`, `1e`, `tru`, `NaN`} {
		if _, err := decodeOne(t, FramingJSON, []byte(`["p",`+bad+`]`)); !errors.Is(err, ErrBadFrame) {
			t.Errorf("%s: %v", bad, err)
		}
	}
}

// TestGoldenStreamMatchesLibrary decodes every recorded Perl packet with
// the stream decoder, in one read and byte by byte, and with the library
// decoders it replaced: all must agree.
func TestGoldenStreamMatchesLibrary(t *testing.T) {
	for _, framing := range []string{FramingJSON, FramingCBOR} {
		n := 0
		forRecordedData(t, framing, func(data []byte) {
			ref := referenceOutcome(framing, data)
			if ref.err != io.EOF {
				t.Fatalf("%s: reference: %v", framing, ref.err)
			}
			d, _ := NewDecoder(framing, bytes.NewReader(data))
			for _, got := range []outcome{decodeAll(d), decodeSplit(t, framing, data, nil)} {
				if !sameOutcome(ref, got) {
					t.Fatalf("%s: stream decoder: %d messages, %v\n%v\nlibrary: %d messages\n%v", framing, len(got.msgs), got.err, got.msgs, len(ref.msgs), ref.msgs)
				}
			}
			n += len(ref.msgs)
		})
		t.Logf("%s: %d recorded messages agree", framing, n)
		if n < 50 {
			t.Errorf("%s: only %d recorded messages", framing, n)
		}
	}
}

// TestSizeLimitIsExact: a message of exactly MaxMessageBytes decodes, one
// byte more fails, however it is split into reads and whatever white
// space comes before it.
func TestSizeLimitIsExact(t *testing.T) {
	const limit = 1000
	for _, framing := range []string{FramingJSON, FramingCBOR} {
		for _, size := range []int{limit, limit + 1} {
			var msg []byte
			if framing == FramingJSON {
				msg = []byte("  \n" + `["p","` + strings.Repeat("x", size-8) + `"]`)
			} else {
				msg = append([]byte{0x82, 0x41, 'p', 0x59, byte((size - 6) >> 8), byte(size - 6)}, strings.Repeat("x", size-6)...)
			}
			for _, r := range []io.Reader{bytes.NewReader(msg), &splitReader{data: msg, splits: []byte{9}}, &splitReader{data: msg}} {
				d, _ := NewStreamDecoder(framing, r, DecodeLimits{MaxMessageBytes: limit})
				_, err := d.Decode()
				if size <= limit && err != nil {
					t.Errorf("%s %d bytes: %v", framing, size, err)
				}
				if size > limit && !errors.Is(err, ErrMessageTooLarge) {
					t.Errorf("%s %d bytes: %v, want too large", framing, size, err)
				}
			}
		}
	}
}

// timeoutOnce returns a read timeout at the given read, data otherwise.
type timeoutOnce struct {
	r  io.Reader
	at int
	n  int
}

func (t *timeoutOnce) Read(p []byte) (int, error) {
	if t.n++; t.n == t.at {
		return 0, os.ErrDeadlineExceeded
	}
	return t.r.Read(p)
}

// TestReadTimeoutLeavesTheDecoderUsable: a caller that reads with a
// deadline (to notice a silent peer) can go on after a timeout, even in
// the middle of a message.
func TestReadTimeoutLeavesTheDecoderUsable(t *testing.T) {
	data := []byte(`["a",1]["b",2]`)
	for at := 1; at <= 8; at++ {
		d, _ := NewDecoder(FramingJSON, &timeoutOnce{r: &splitReader{data: data, splits: []byte{3}}, at: at})
		var got []string
		for range 5 {
			m, err := d.Decode()
			if errors.Is(err, os.ErrDeadlineExceeded) {
				continue
			}
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("timeout at read %d: %v", at, err)
			}
			got = append(got, m.Port)
		}
		if strings.Join(got, ",") != "a,b" {
			t.Errorf("timeout at read %d: got %v", at, got)
		}
	}
}

// TestHugeJSONArrayCostsAtMostTheLimit is the flood: a 32 MiB
// JSON array of zeros, which the library decoder took 1.4 GB for. With the
// default 16 MiB limit it is refused after reading the limit plus one
// buffer, and what the decoder allocated on the way stays near the limit.
func TestHugeJSONArrayCostsAtMostTheLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 16 MiB")
	}
	const wire = 32 << 20
	zeros := &countingReader{r: io.LimitReader(&repeatByteReader{pattern: []byte(",0")}, wire)}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	d, _ := NewDecoder(FramingJSON, io.MultiReader(strings.NewReader(`["p",[0`), zeros))
	_, err := d.Decode()
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("%v, want too large", err)
	}
	if zeros.n > DefaultMaxMessageBytes+readSize {
		t.Errorf("read %d bytes", zeros.n)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 5*DefaultMaxMessageBytes/2 {
		t.Errorf("allocated %d MiB for a %d MiB limit", alloc>>20, DefaultMaxMessageBytes>>20)
	} else {
		t.Logf("refused after %d MiB read, %d MiB allocated", zeros.n>>20, alloc>>20)
	}
}

// repeatByteReader repeats pattern forever.
type repeatByteReader struct {
	pattern []byte
	off     int
}

func (r *repeatByteReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.pattern[r.off]
		r.off = (r.off + 1) % len(r.pattern)
	}
	return len(p), nil
}

// TestDecodedValuesSurviveGC keeps many decoded messages, whose strings,
// arrays and boxes live in shared chunks, through garbage collections
// while the decoder goes on filling new chunks, and checks every value.
// Of every other message it keeps only a long string's box, or only the
// string: each alone must keep its bytes alive (a box and its string
// share an unscanned chunk).
func TestDecodedValuesSurviveGC(t *testing.T) {
	const long = "a string longer than the string cache takes"
	want := Message{Port: "port", Data: []any{"test", int64(123456), "payload", 2.5, []any{"x", int64(-7000)}, map[string]any{"k": "v"}, []any{}, long}}
	for _, framing := range []string{FramingJSON, FramingCBOR} {
		enc, _ := Appender(framing)
		one, _ := enc(nil, want)
		d, _ := NewDecoder(framing, repeatReader{bytes.Repeat(one, 64)})
		var kept []Message
		var boxes []any
		var strs []string
		for i := range 30000 {
			m, err := d.Decode()
			if err != nil {
				t.Fatal(err)
			}
			switch i % 4 {
			case 0, 2:
				kept = append(kept, m)
			case 1:
				boxes = append(boxes, m.Data[7])
			case 3:
				strs = append(strs, m.Data[7].(string))
			}
			if i%5000 == 0 {
				runtime.GC()
			}
		}
		runtime.GC()
		for i, m := range kept {
			if m.Port != want.Port || !sameValue(m.Data, want.Data) || m.String() != want.String() {
				t.Fatalf("%s: message %d is %v, want %v", framing, i, m, want)
			}
		}
		for i, b := range boxes {
			if s, ok := b.(string); !ok || s != long {
				t.Fatalf("%s: kept box %d is %#v, want %q", framing, i, b, long)
			}
		}
		for i, s := range strs {
			if s != long {
				t.Fatalf("%s: kept string %d is %q, want %q", framing, i, s, long)
			}
		}
	}
}

// TestDecodedValuesAreSafeToHandOn: a reader goroutine decodes while
// another reads what it handed on, as a node's connection reader and its
// dispatch loop do (the race detector checks that no chunk slot is
// written after it was handed out).
func TestDecodedValuesAreSafeToHandOn(t *testing.T) {
	for _, framing := range []string{FramingJSON, FramingCBOR} {
		enc, _ := Appender(framing)
		one, _ := enc(nil, typical)
		d, _ := NewDecoder(framing, &splitReader{data: bytes.Repeat(one, 3000), splits: []byte{200, 7, 63}})
		ch := make(chan Message, 16)
		done := make(chan int)
		go func() {
			n := 0
			for m := range ch {
				if m.String() == typical.String() {
					n++
				}
			}
			done <- n
		}()
		for {
			m, err := d.Decode()
			if err != nil {
				break
			}
			ch <- m
		}
		close(ch)
		if n := <-done; n != 3000 {
			t.Errorf("%s: %d of 3000 messages intact", framing, n)
		}
	}
}

// TestCBORBignumMapKeysAreRefused: as with the library decoder, a map key
// that is a bignum (under any tags) or a negative integer below int64 is
// an error; as a value or the port it is a float64.
func TestCBORBignumMapKeysAreRefused(t *testing.T) {
	for _, key := range [][]byte{
		{0xc2, 0x41, 0x01},
		{0xc6, 0xc3, 0x41, 0x01},
		{0x3b, 0xff, 0, 0, 0, 0, 0, 0, 0},
	} {
		msg := append(append([]byte{0x82, 0x41, 'p', 0xa1}, key...), 0x00)
		if _, err := decodeOne(t, FramingCBOR, msg); !errors.Is(err, ErrBadFrame) {
			t.Errorf("key %x: %v", key, err)
		}
		diffDecode(t, FramingCBOR, msg, []byte{2})
		msg = append(append([]byte{0x82}, key...), key...)
		if m, err := decodeOne(t, FramingCBOR, msg); err != nil || len(m.Data) != 1 {
			t.Errorf("%x: %v, %v", msg, m, err)
		} else if _, ok := m.Data[0].(float64); !ok {
			t.Errorf("%x: %#v", msg, m.Data[0])
		}
		diffDecode(t, FramingCBOR, msg, []byte{2})
	}
}

// TestDecodeAllocatesPerReadNotPerMessage: decoding the typical message
// costs a fraction of an allocation, as chunks are shared by the messages
// of a read (the bound is 3 a message; one a message would mean a
// value, or the Message itself, escaping per decode).
func TestDecodeAllocatesPerReadNotPerMessage(t *testing.T) {
	const batch = 64
	for _, framing := range []string{FramingJSON, FramingCBOR} {
		enc, _ := Appender(framing)
		one, _ := enc(nil, typical)
		d, _ := NewDecoder(framing, repeatReader{bytes.Repeat(one, batch)})
		decodeBatch := func() {
			for range batch {
				if _, err := d.Decode(); err != nil {
					t.Fatal(err)
				}
			}
		}
		decodeBatch() // first chunks and caches
		if perMsg := testing.AllocsPerRun(200, decodeBatch) / batch; perMsg > 0.3 {
			t.Errorf("%s: %.2f allocations a message, want at most 0.3", framing, perMsg)
		} else {
			t.Logf("%s: %.3f allocations a message", framing, perMsg)
		}
	}
}

// TestShortInt: the integers the JSON data loop reads itself, against
// ParseNumber, for every length up to the 15 it takes and every ending;
// anything else is left to the general number parser.
func TestShortInt(t *testing.T) {
	for n := 1; n <= 17; n++ {
		num := "1234567890123456789"[:n]
		for _, end := range []string{",", "]", "}", ".5,", "e3,", " ,", "x"} {
			b := []byte(num + end + "                  ")
			v, k, ok := shortInt(b, 0)
			wantOK := n <= 15 && (end == "," || end == "]")
			if ok != wantOK {
				t.Fatalf("shortInt(%q): ok %v, want %v", b, ok, wantOK)
			}
			if !ok {
				continue
			}
			if want := ParseNumber(num); any(v) != want || k != n {
				t.Fatalf("shortInt(%q) = %d, %d; want %v, %d", b, v, k, want, n)
			}
		}
	}
	for _, b := range []string{"0,                 ", "-1,                ", "1,", "a,                 "} {
		if _, _, ok := shortInt([]byte(b), 0); ok {
			t.Fatalf("shortInt(%q) took it", b)
		}
	}
}
