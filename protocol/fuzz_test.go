package protocol

import (
	"bytes"
	"errors"
	"io"
	"math"
	"reflect"
	"testing"

	"github.com/aemp-go/aemp-go/internal/transcript"
)

// seedLines adds every recorded pre-auth line as a fuzz seed.
func seedLines(f *testing.F, index int) {
	for _, sc := range scenarios {
		for _, c := range transcript.Load(f, sc) {
			for _, dir := range []bool{true, false} {
				h := transcript.SplitHandshake(c.Stream(dir))
				if len(h.Lines) > index {
					f.Add(h.Lines[index])
				}
			}
		}
	}
}

// seedData adds every recorded data-phase stream of one framing.
func seedData(f *testing.F, framing string) {
	forRecordedData(f, framing, func(data []byte) { f.Add(data) })
}

// forRecordedData calls fn with every recorded data-phase stream of one
// framing.
func forRecordedData(tb testing.TB, framing string, fn func(data []byte)) {
	for _, sc := range scenarios {
		for _, c := range transcript.Load(tb, sc) {
			for _, dir := range []bool{true, false} {
				h := transcript.SplitHandshake(c.Stream(dir))
				if len(h.Lines) == 3 && ParseAuthLine(h.Lines[2]).Framing == framing && len(h.Data) > 0 {
					fn(h.Data)
				}
			}
		}
	}
}

func FuzzParseGreeting(f *testing.F) {
	seedLines(f, 0)
	f.Add("aemp;1;a;;;k")
	f.Add("aemp;1;n;x;y;v=%3b%25%zz")
	f.Fuzz(func(t *testing.T, line string) {
		g, err := ParseGreeting(line)
		if err != nil {
			return
		}
		// Formatting and parsing again must be stable.
		g2, err := ParseGreeting(g.String())
		if err != nil {
			t.Fatalf("re-parse of %q: %v", g.String(), err)
		}
		if g2.String() != g.String() {
			t.Fatalf("unstable: %q -> %q", g.String(), g2.String())
		}
		g.VersionNumber()
		g.WantsTLS()
		for _, kv := range g.Pairs {
			v, _ := g.Get(kv.Key)
			if UnescapeValue(EscapeValue(v)) != v {
				t.Fatalf("escape round trip of %q", v)
			}
		}
	})
}

func FuzzParseAuthLine(f *testing.F) {
	seedLines(f, 2)
	f.Fuzz(func(t *testing.T, line string) {
		a := ParseAuthLine(line)
		if a.String() != line && len(a.Extra) > 0 {
			t.Fatalf("%q re-formatted as %q", line, a.String())
		}
		// Verification of arbitrary input must fail cleanly, never pass
		// with a wrong token.
		l, r := [2]string{"a", "b"}, [2]string{"c", "d"}
		if err := VerifyToken(a, DefaultAuthAccept(), "s", l, r, false); err == nil {
			want := map[string]string{AuthHMAC: HMACToken("s", "c", "d", "a", "b"), AuthCleartext: CleartextToken("s")}[a.Method]
			if a.Token != want {
				t.Fatalf("accepted %q", line)
			}
		}
	})
}

// fuzzStream checks that a decoder never panics and that whatever it
// decodes re-encodes to bytes that decode to the same message.
func fuzzStream(t *testing.T, framing string, data []byte) {
	dec, _ := NewDecoder(framing, bytes.NewReader(data))
	enc, _ := Appender(framing)
	for i := 0; i < 1000; i++ {
		m, err := dec.Decode()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, ErrBadFrame) || errors.Is(err, ErrMessageTooLarge) {
				return
			}
			t.Fatalf("unexpected error kind: %v", err)
		}
		b, err := enc(nil, m)
		if err != nil {
			t.Fatalf("re-encode %v: %v", m, err)
		}
		m2, err := mustDecodeOne(framing, b)
		if err != nil {
			t.Fatalf("decode of our own %x: %v", b, err)
		}
		if !equalValue(m, m2) {
			t.Fatalf("round trip changed %#v into %#v", m, m2)
		}
	}
}

func mustDecodeOne(framing string, b []byte) (Message, error) {
	d, _ := NewDecoder(framing, bytes.NewReader(b))
	return d.Decode()
}

// equalValue compares messages treating NaN as equal to NaN and
// integral floats as equal to the integers both encoders write them as.
func equalValue(a, b Message) bool {
	return a.Port == b.Port && reflect.DeepEqual(canon(a.Data), canon(b.Data))
}

func canon(v any) any {
	switch x := v.(type) {
	case float64:
		if x != x || math.IsInf(x, 0) {
			return nil // JSON writes these as null
		}
		if x == float64(int64(x)) && x >= -1<<53 && x <= 1<<53 {
			return int64(x)
		}
		return x
	case []byte:
		return string(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = canon(e)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = canon(e)
		}
		return out
	}
	return v
}

func FuzzJSONStream(f *testing.F) {
	seedData(f, FramingJSON)
	f.Add([]byte(`["",1e999,-0,1.5e-7,"\ud800"]["x"`))
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStream(t, FramingJSON, data) })
}

func FuzzCBORStream(f *testing.F) {
	seedData(f, FramingCBOR)
	f.Add([]byte{0x9f, 0x40, 0xf9, 0x7e, 0x00, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) { fuzzStream(t, FramingCBOR, data) })
}
