package protocol

import (
	"bytes"
	"io"
	"runtime"
	"slices"
	"strings"
	"testing"
	"unsafe"
)

// memoryShapes are the messages that cost the most decoded memory per
// wire byte, each about size bytes long.
func memoryShapes(size int) []struct {
	name, framing string
	msg           []byte
} {
	jsonArray := func(elem string) []byte {
		return []byte(`["p",[` + strings.TrimSuffix(strings.Repeat(elem+",", size/(len(elem)+1)), ",") + `]]`)
	}
	cborArray := func(elem []byte) []byte {
		n := size / len(elem)
		head := []byte{0x82, 0x41, 'p', 0x9a, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
		return append(head, bytes.Repeat(elem, n)...)
	}
	var keys strings.Builder // a JSON object with distinct short keys
	keys.WriteString(`["p",{`)
	for i := 0; keys.Len() < size; i++ {
		if i > 0 {
			keys.WriteByte(',')
		}
		keys.WriteString(`"` + strings.Repeat("k", i/1000) + string(rune('a'+i%26)) + string(rune('a'+i/26%40)) + `":0`)
	}
	keys.WriteString(`}]`)
	return []struct {
		name, framing string
		msg           []byte
	}{
		{"json zeros", FramingJSON, jsonArray("0")},
		{"json empty strings", FramingJSON, jsonArray(`""`)},
		{"json one-char strings", FramingJSON, jsonArray(`"a"`)},
		{"json empty arrays", FramingJSON, jsonArray("[]")},
		{"json empty objects", FramingJSON, jsonArray("{}")},
		{"json one-key objects", FramingJSON, jsonArray(`{"":0}`)},
		{"json object with many keys", FramingJSON, []byte(keys.String())},
		{"cbor zeros", FramingCBOR, cborArray([]byte{0x00})},
		{"cbor one-byte strings", FramingCBOR, cborArray([]byte{0x41, 'a'})},
		{"cbor empty arrays", FramingCBOR, cborArray([]byte{0x80})},
		{"cbor one-element arrays", FramingCBOR, cborArray([]byte{0x81, 0x00})},
		{"cbor empty maps", FramingCBOR, cborArray([]byte{0xa0})},
		{"cbor one-pair maps", FramingCBOR, cborArray([]byte{0xa1, 0x00, 0x00})},
		{"cbor float16s", FramingCBOR, cborArray([]byte{0xf9, 0x3c, 0x01})},
	}
}

// TestDecodedMemoryIsProportional measures, for the shapes that cost most,
// the memory a decoded message holds (live heap) and everything allocated
// while decoding it, as multiples of its wire size. The value model fixes
// most of it: every element is a 16-byte interface, every map a Go map.
// The README quotes these figures.
func TestDecodedMemoryIsProportional(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates a few hundred MB")
	}
	const size = 1 << 20
	const maxLive, maxTotal = 125, 130 // multiples of the wire size; maps cost most
	for _, s := range memoryShapes(size) {
		live, total := decodedMemory(t, s.framing, s.msg)
		t.Logf("%-28s %8d bytes on the wire: %5.1fx live, %5.1fx allocated", s.name, len(s.msg), live, total)
		if live > maxLive || total > maxTotal {
			t.Errorf("%s: %.1fx live, %.1fx allocated", s.name, live, total)
		}
	}
}

func decodedMemory(t *testing.T, framing string, msg []byte) (live, total float64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	d, _ := NewDecoder(framing, bytes.NewReader(msg))
	m, err := d.Decode()
	if err != nil {
		t.Fatalf("%.40q: %v", msg, err)
	}
	d = nil
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(m)
	wire := float64(len(msg))
	return float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)) / wire, float64(after.TotalAlloc-before.TotalAlloc) / wire
}

// TestKeptMessagesDoNotPinTheirNeighbours: values share chunks with the
// messages decoded around them, so a kept message keeps some neighbours
// alive: a few when messages come one per read (as Perl writes them), at
// most about its read's worth otherwise.
func TestKeptMessagesDoNotPinTheirNeighbours(t *testing.T) {
	enc, _ := Appender(FramingCBOR)
	one, _ := enc(nil, typical)
	for _, tc := range []struct {
		perRead, keepEvery int     // keep the first message of every keepEvery-th read
		maxBytes           float64 // live heap per kept message
	}{{1, 16, 1 << 10}, {64, 1, 16 << 10}} {
		const reads = 4096
		kept := make([]Message, 0, reads/tc.keepEvery)
		d, _ := NewDecoder(FramingCBOR, repeatReader{bytes.Repeat(one, tc.perRead)})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		for r := range reads {
			for k := range tc.perRead {
				m, err := d.Decode()
				if err != nil {
					t.Fatal(err)
				}
				if k == 0 && r%tc.keepEvery == 0 {
					kept = append(kept, m)
				}
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		per := float64(int64(after.HeapAlloc)-int64(before.HeapAlloc)-int64(cap(kept))*int64(unsafe.Sizeof(Message{}))) / float64(len(kept))
		t.Logf("%d messages per read, one kept every %d reads: %.0f bytes live per kept message", tc.perRead, tc.keepEvery, per)
		if per > tc.maxBytes {
			t.Errorf("%d per read: %.0f bytes per kept message", tc.perRead, per)
		}
		runtime.KeepAlive(kept)
	}
}

// TestWaitingDecoderHoldsNoValues: the scratch stack's references to the
// values of decoded messages (left in place between messages, values.go)
// are dropped before the decoder waits for its next read.
func TestWaitingDecoderHoldsNoValues(t *testing.T) {
	in := []byte(`["p",["a",["b","c"],"d"],"e"]` + "\n" + `["p",[1,[2,3]],4]`)
	d := newJSONDecoder(bytes.NewReader(in), DecodeLimits{})
	for range 2 {
		if _, err := d.Decode(); err != nil {
			t.Fatal(err)
		}
	}
	stack := d.c.stack[:cap(d.c.stack)]
	if !slices.ContainsFunc(stack, func(v any) bool { return v != nil }) {
		t.Fatal("the scratch stack holds nothing between messages: the test no longer looks at what it should")
	}
	if _, err := d.Decode(); err != io.EOF {
		t.Fatalf("got %v, want io.EOF", err)
	}
	for i, v := range stack {
		if v != nil {
			t.Fatalf("after waiting for a read, scratch slot %d still holds %#v", i, v)
		}
	}
}
