package protocol

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// prefixStreams are streams in which messages repeat how the one before
// began, up to and around its tag, and then differ: the prefix cache must
// not change a single decoded value (compared with the library decoders,
// and across read splits), nor refuse or accept anything differently.
var prefixStreams = []string{
	// a steady stream, then the same port and tag with other arguments
	strings.Repeat(`["p#1","test",123,"x"]`, 8) + `["p#1","test"]["p#1","test",[1,{"a":null}]]["p#1","test" ,1]["p#1","test"  ]`,
	// a longer tag, the tag as a prefix of another, an escaped tag equal to it
	strings.Repeat(`["p#1","test",1]`, 8) + `["p#1","testx",1]["p#1","tes",1]["p#1","te\u0073t",1]["p#1","test",2]`,
	// another port, a port that extends the cached one, an escaped port
	strings.Repeat(`["p#1","test",1]`, 8) + `["p#12","test",1]["p#1x","test",1]["p\u00231","test",1]["p#1","test",3]`,
	// a malformed continuation after a cached prefix: the same error as without the cache
	strings.Repeat(`["p#1","test",1]`, 8) + `["p#1","test"1]`,
	strings.Repeat(`["p#1","test",1]`, 8) + `["p#1","test",]`,
	strings.Repeat(`["p#1","test",1]`, 8) + `["p#1","test"`,
	// alternating tags, then a change of both
	strings.Repeat(`["p#1","test",1]["p#1","tset",2]`, 40) + `["q","r"]`,
}

// cborPrefixStreams are prefixStreams for CBOR.
func cborPrefixStreams() [][]byte {
	enc, _ := Appender(FramingCBOR)
	steady := func(n int) []byte {
		var b []byte
		for range n {
			b, _ = enc(b, typical)
		}
		return b
	}
	msgs := func(b []byte, ms ...Message) []byte {
		for _, m := range ms {
			b, _ = enc(b, m)
		}
		return b
	}
	long := "a-node-id-of-thirty-bytes#port"
	one, _ := enc(nil, typical)
	prefixLen := 1 + 1 + len(typical.Port) + 1 + 4 // head, port, tag
	return [][]byte{
		// the same port and tag with other arguments and counts
		msgs(steady(8), Message{Port: "portname", Data: []any{"test"}}, Message{Port: "portname", Data: []any{"test", []any{int64(1), map[string]any{"a": nil}}}},
			Message{Port: "portname", Data: []any{"test", int64(1), int64(2), int64(3), int64(4)}}),
		// longer, shorter and other tags and ports
		msgs(steady(8), Message{Port: "portname", Data: []any{"testx", int64(1)}}, Message{Port: "portname", Data: []any{"tes", int64(1)}},
			Message{Port: "portnamex", Data: []any{"test", int64(1)}}, Message{Port: "portnam", Data: []any{"test", int64(1)}}),
		// a port with a two-byte head, steady
		msgs(nil, slices.Repeat([]Message{{Port: long, Data: []any{"tag", int64(1)}}}, 8)...),
		// a port too long to remember (the prefix would pass maxPrefix),
		// with another element count, between messages the entry matches
		msgs(steady(8), slices.Repeat([]Message{{Port: strings.Repeat("p", 100), Data: []any{"test", int64(1)}}}, 6)...),
		msgs(msgs(steady(8), slices.Repeat([]Message{{Port: strings.Repeat("p", 100), Data: []any{"test", int64(1)}}}, 6)...), typical, typical),
		// the port as a byte string, then as a text string
		append(append(steady(8), append([]byte{0x84, 0x48}, one[2:]...)...), one...),
		// a malformed or cut continuation after a cached prefix
		append(steady(8), append(append([]byte{}, one[:prefixLen]...), 0xff, 0xff)...),
		append(steady(8), one[:prefixLen]...),
		append(steady(8), one[:prefixLen+1]...),
	}
}

func TestPrefixCacheChangesNoValue(t *testing.T) {
	for _, s := range prefixStreams {
		for _, splits := range [][]byte{{0}, {1}, {7, 3, 200}} {
			diffDecode(t, FramingJSON, []byte(s), splits)
		}
	}
	for _, s := range cborPrefixStreams() {
		for _, splits := range [][]byte{{0}, {1}, {7, 3, 200}} {
			diffDecode(t, FramingCBOR, s, splits)
		}
	}
}

// TestPrefixCacheIsUsed checks the prefix cache is what a steady stream
// goes through (so the test above exercises it), and that a stream whose
// messages all begin differently is soon looked at rarely.
func TestPrefixCacheIsUsed(t *testing.T) {
	enc, _ := Appender(FramingJSON)
	one, _ := enc(nil, typical)
	d := NewJSONDecoder(bytes.NewReader(bytes.Repeat(one, 100)))
	hits := 0
	for range 100 {
		before := d.c.prefix.hits
		if _, err := d.Decode(); err != nil {
			t.Fatal(err)
		}
		if d.c.prefix.hits != before || d.c.prefix.hits == prefixPaidHits {
			hits++
		}
	}
	if d.c.prefix.n == 0 || hits < 90 {
		t.Fatalf("prefix cache: entry %q, %d of 100 messages matched", d.c.prefix.b[:d.c.prefix.n], hits)
	}
	if m := (Message{Port: d.c.prefix.port, Data: []any{d.c.prefix.tag}}); m.Port != "portname" || m.Data[0] != "test" {
		t.Fatalf("prefix cache holds %v", m)
	}

	// every message begins differently: the looks back off
	var distinct []byte
	for i := range 1000 {
		m := typical
		m.Data = []any{"t" + strings.Repeat("x", i%13) + string(rune('a'+i%26)), int64(1)}
		distinct, _ = enc(distinct, m)
	}
	d = NewJSONDecoder(bytes.NewReader(distinct))
	looks := 0
	for range 1000 {
		if d.c.prefix.skip == 0 {
			looks++
		}
		if _, err := d.Decode(); err != nil {
			t.Fatal(err)
		}
	}
	if d.c.prefix.backoff != maxPrefixBackoff || looks > 1000>>maxPrefixBackoff+maxPrefixBackoff+1 {
		t.Fatalf("distinct prefixes: backoff %d, %d looks at 1000 messages", d.c.prefix.backoff, looks)
	}

	cenc, _ := Appender(FramingCBOR)
	cone, _ := cenc(nil, typical)
	cd := NewCBORDecoder(bytes.NewReader(bytes.Repeat(cone, 100)))
	for range 100 {
		if _, err := cd.Decode(); err != nil {
			t.Fatal(err)
		}
	}
	if cd.c.prefix.n == 0 || cd.c.prefix.hits != prefixPaidHits || cd.c.prefix.count != 4 {
		t.Fatalf("CBOR prefix cache: entry %x, %d hits, count %d", cd.c.prefix.b[:cd.c.prefix.n], cd.c.prefix.hits, cd.c.prefix.count)
	}
}
