package protocol

import (
	"bytes"
	"errors"
	"io"
	"math"
	"testing"

	"github.com/fxamacker/cbor/v2"
)

// splitReader hands out data in reads of 1..256 bytes, sizes taken in turn
// from splits (one byte each; empty splits means one byte per read).
type splitReader struct {
	data   []byte
	splits []byte
	k      int
	reads  int
}

func (r *splitReader) Read(p []byte) (int, error) {
	r.reads++
	if len(r.data) == 0 {
		return 0, io.EOF
	}
	n := 1
	if len(r.splits) > 0 {
		n = int(r.splits[r.k%len(r.splits)]) + 1
		r.k++
	}
	n = min(n, len(p), len(r.data))
	copy(p, r.data[:n])
	r.data = r.data[n:]
	return n, nil
}

// outcome is what a decoder made of a stream: the messages up to the first
// error, and that error (io.EOF for a clean end).
type outcome struct {
	msgs []Message
	err  error
}

const maxDiffMessages = 10000

func decodeAll(dec interface{ Decode() (Message, error) }) outcome {
	var o outcome
	for len(o.msgs) < maxDiffMessages {
		m, err := dec.Decode()
		if err != nil {
			o.err = err
			return o
		}
		o.msgs = append(o.msgs, m)
	}
	return o
}

// newSplitDecoder returns a stream decoder reading data through a
// splitReader, and the reader.
func newSplitDecoder(t *testing.T, framing string, data, splits []byte) (*splitReader, Decoder) {
	r := &splitReader{data: data, splits: splits}
	dec, err := NewStreamDecoder(framing, r, DecodeLimits{})
	if err != nil {
		t.Fatal(err)
	}
	return r, dec
}

// decodeSplit decodes through a splitReader and checks Buffered's promise
// on every message: a positive Buffered means the next Decode reads
// nothing; 0 means it must read (while the reader has data left).
func decodeSplit(t *testing.T, framing string, data, splits []byte) outcome {
	r, dec := newSplitDecoder(t, framing, data, splits)
	var o outcome
	for len(o.msgs) < maxDiffMessages {
		buffered := dec.Buffered()
		before, eof := r.reads, len(r.data) == 0
		m, err := dec.Decode()
		if buffered > 0 && r.reads != before {
			t.Fatalf("Buffered() = %d, but Decode read", buffered)
		}
		if buffered == 0 && !eof && r.reads == before {
			t.Fatalf("Buffered() = 0, but Decode did not read (returned %v, %v)", m, err)
		}
		if err != nil {
			o.err = err
			return o
		}
		o.msgs = append(o.msgs, m)
	}
	return o
}

// sameOutcome reports whether two outcomes agree: the same messages and
// both ending cleanly or both with an error.
func sameOutcome(a, b outcome) bool {
	if len(a.msgs) != len(b.msgs) || (a.err == io.EOF) != (b.err == io.EOF) {
		return false
	}
	for i := range a.msgs {
		if a.msgs[i].Port != b.msgs[i].Port || !sameValue(a.msgs[i].Data, b.msgs[i].Data) {
			return false
		}
	}
	return true
}

// sameValue is deep equality of the value model, with every NaN equal to
// every other and -0 unequal to 0; an empty array equals a nil one.
func sameValue(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x != x && y != y || math.Float64bits(x) == math.Float64bits(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !sameValue(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, ok := y[k]
			if !ok || !sameValue(v, w) {
				return false
			}
		}
		return true
	}
	return a == b
}

// depthError reports an error about nesting depth, where the decoders
// count differently (the libraries count tags differently, goccy has no
// limit of 512).
func depthError(err error) bool {
	var ml *cbor.MaxNestedLevelError
	return errors.Is(err, errTooDeep) || errors.As(err, &ml)
}

// referenceOutcome decodes with the library-based decoder.
func referenceOutcome(framing string, data []byte) outcome {
	if framing == FramingJSON {
		return decodeAll(newLibJSONDecoder(bytes.NewReader(data)))
	}
	return decodeAll(newLibCBORDecoder(bytes.NewReader(rewriteTimeTags(data))))
}

// diffDecode requires the stream decoder, in one read and split into many
// reads, to agree with the library-based reference.
func diffDecode(t *testing.T, framing string, data, splits []byte) {
	ref := referenceOutcome(framing, data)
	if errors.Is(ref.err, errRefAmbiguous) {
		t.Skip("reference cannot order colliding map keys")
	}
	dec, _ := NewDecoder(framing, bytes.NewReader(data))
	got := decodeAll(dec)
	if got.err != io.EOF && !errors.Is(got.err, ErrBadFrame) && !errors.Is(got.err, ErrMessageTooLarge) {
		t.Fatalf("unexpected error kind: %v", got.err)
	}
	if !sameOutcome(ref, got) && !depthError(ref.err) && !depthError(got.err) {
		t.Fatalf("stream decoder disagrees with the reference on %q\nreference: %d messages, %v\n%v\nstream:    %d messages, %v\n%v",
			data, len(ref.msgs), ref.err, ref.msgs, len(got.msgs), got.err, got.msgs)
	}
	split := decodeSplit(t, framing, data, splits)
	if !sameOutcome(got, split) {
		t.Fatalf("split reads change the result on %q (splits %v)\none read: %d messages, %v\n%v\nsplit:    %d messages, %v\n%v",
			data, splits, len(got.msgs), got.err, got.msgs, len(split.msgs), split.err, split.msgs)
	}
	if buffered := decodeBufferedSplit(t, framing, data, splits); !sameOutcome(got, buffered) {
		t.Fatalf("DecodeBuffered changes the result on %q (splits %v)\nDecode:         %d messages, %v\n%v\nDecodeBuffered: %d messages, %v\n%v",
			data, splits, len(got.msgs), got.err, got.msgs, len(buffered.msgs), buffered.err, buffered.msgs)
	}
}

// decodeBufferedSplit decodes through a splitReader as a connection's
// reader does: DecodeBuffered while it has a message, Decode when it
// says the next one needs a read. DecodeBuffered must never read.
func decodeBufferedSplit(t *testing.T, framing string, data, splits []byte) outcome {
	r, dec := newSplitDecoder(t, framing, data, splits)
	var o outcome
	for len(o.msgs) < maxDiffMessages {
		before := r.reads
		m, ok, err := dec.DecodeBuffered()
		if r.reads != before {
			t.Fatal("DecodeBuffered read")
		}
		if !ok {
			m, err = dec.Decode()
		}
		if err != nil {
			o.err = err
			return o
		}
		o.msgs = append(o.msgs, m)
	}
	return o
}

// seedDataSplits adds every recorded data-phase stream of one framing,
// in one read and in small uneven reads.
func seedDataSplits(f *testing.F, framing string) {
	forRecordedData(f, framing, func(data []byte) {
		f.Add(data, []byte{})
		f.Add(data, []byte{5, 0, 63, 1})
	})
}

func FuzzJSONDiff(f *testing.F) {
	seedDataSplits(f, FramingJSON)
	for _, s := range []string{
		`["a",1,-0,-0.0,1e999,-1e-400,18446744073709551615,-9223372036854775809,1.5e300,0.1]`,
		`["\ud800","\udc00x","\ud800\u0041","\ud83d\ude00","\u00e9\/\b\f\n\r\t\"\\"]`,
		"[\"a\xffb\",\"\xed\xa0\x80\",\"\xc0\x80\"] \t\r\n[\"x\",{\"k\":[{}],\"k\":null,\"\":true}]",
		`[1][2.5]["x",[1,[2,[3]]]] [false]`, `[]`, `{"a":1}`, `["a",01]`, `["a" "b"]`, `["a",tru]`, "[\"a\x01\"]",
	} {
		f.Add([]byte(s), []byte{0})
		f.Add([]byte(s), []byte{2, 7, 255})
	}
	for _, s := range prefixStreams {
		f.Add([]byte(s), []byte{3, 100})
	}
	f.Fuzz(func(t *testing.T, data, splits []byte) { diffDecode(t, FramingJSON, data, splits) })
}

func FuzzCBORDiff(f *testing.F) {
	seedDataSplits(f, FramingCBOR)
	for _, s := range [][]byte{
		{0x9f, 0x40, 0xf9, 0x7e, 0x00, 0xff},
		{0x83, 0x61, 'p', 0xc0, 0x63, 'a', 'b', 'c', 0xc1, 0xfb, 0x7e, 0x37, 0xe4, 0x3c, 0x88, 0x00, 0x75, 0x9c}, // tag 0 "abc", tag 1 1e300
		{0x84, 0x40, 0xc2, 0x49, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0xc3, 0x41, 5, 0x3b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
		{0x82, 0x40, 0xa3, 0x01, 0x02, 0x61, 'x', 0xf7, 0xf9, 0x3c, 0x00, 0xf8, 0x20},
		{0x82, 0x5f, 0x41, 'a', 0x41, 'b', 0xff, 0xbf, 0x7f, 0x61, 'k', 0xff, 0x9f, 0xff, 0xff},
		{0x82, 0x40, 0xfa, 0x7f, 0x80, 0x00, 0x00, 0x81, 0x40},
		{0xd9, 0xd9, 0xf7, 0x81, 0x40},
		// maps with keys of every kind, each stringifying differently: 2, -1,
		// float16/32/64, true, null, a tagged string, text, uint64 max; then
		// undefined and a simple value, in maps of their own
		{0x84, 0x40, 0xaa, 0x02, 0x00, 0x20, 0x00, 0xf9, 0x3e, 0x00, 0x00, 0xfa, 0x40, 0x20, 0x00, 0x00, 0x00,
			0xfb, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18, 0x00, 0xf5, 0x00, 0xf6, 0x00,
			0xc6, 0x41, 't', 0x00, 0x61, 'k', 0x00, 0x1b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00,
			0xa1, 0xf7, 0x00, 0xa1, 0xe0, 0x00},
		{0x5b, 0x40, 0, 0, 0, 0, 0, 0, 0},
	} {
		f.Add(s, []byte{0})
		f.Add(s, []byte{2, 7, 255})
	}
	for _, s := range cborPrefixStreams() {
		f.Add(s, []byte{3, 100})
	}
	f.Fuzz(func(t *testing.T, data, splits []byte) { diffDecode(t, FramingCBOR, data, splits) })
}
