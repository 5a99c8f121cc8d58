package node

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/aemp-go/aemp-go/internal/transcript"
	"github.com/aemp-go/aemp-go/protocol"
)

// perlRow is one line of testdata/args_perl.json, produced by
// testdata/args_perl_gen.pl with perl 5.36, JSON::XS 4.04 and CBOR::XS 1.86:
// a value as Perl decodes it from a message, and what Perl code makes of it.
type perlRow struct {
	JSON string  `json:"json"` // the value as JSON text, or
	CBOR string  `json:"cbor"` // the value as CBOR, hex
	Str  *string `json:"str"`  // "$x" (null for undef)
	Num  string  `json:"num"`  // $x + 0, printed by Perl
	Int  string  `json:"int"`  // int $x, printed by Perl
	True bool    `json:"true"` // $x ? 1 : 0
	LLN  bool    `json:"lln"`  // Scalar::Util::looks_like_number $x
}

// decodeArg decodes the row's value with aemp-go's own decoders, as it would
// arrive in a message.
func (r perlRow) decodeArg(t *testing.T) any {
	t.Helper()
	var dec interface {
		Decode() (protocol.Message, error)
	}
	if r.JSON != "" {
		dec = protocol.NewJSONDecoder(bytes.NewReader([]byte(`["p",` + r.JSON + `]`)))
	} else {
		b, err := hex.DecodeString(r.CBOR)
		if err != nil {
			t.Fatal(err)
		}
		dec = protocol.NewCBORDecoder(bytes.NewReader(append([]byte{0x82, 0x41, 'p'}, b...)))
	}
	m, err := dec.Decode()
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m.Data[0]
}

func loadPerlRows(t *testing.T) []perlRow {
	b, err := os.ReadFile("testdata/args_perl.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []perlRow
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) < 60 {
		t.Fatalf("only %d rows", len(rows))
	}
	return rows
}

// parsePerlNum reads a number as Perl printed it ("Inf", "NaN", "1e+300").
func parsePerlNum(t *testing.T, s string) float64 {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("perl printed %q", s)
	}
	return f
}

// samePerlNum compares a float with a number Perl printed: exactly, or to
// the 15 significant digits Perl prints floats with (0.1+0.2 prints as 0.3).
// Perl keeps integers up to 64 bits exact; Num and Float are float64.
func samePerlNum(t *testing.T, got float64, perl string) bool {
	want := parsePerlNum(t, perl)
	return got == want || protocol.FormatPerlFloat(got) == protocol.FormatPerlFloat(want)
}

// TestArgsMatchPerl checks every accessor against what Perl did with the same
// value decoded from the same bytes.
func TestArgsMatchPerl(t *testing.T) {
	for _, r := range loadPerlRows(t) {
		name := r.JSON + r.CBOR
		t.Run(name, func(t *testing.T) {
			v := r.decodeArg(t)
			a := Args{v}
			_, isString := v.(string)

			s, err := a.String(0)
			switch {
			case err != nil:
				t.Errorf("String: %v", err)
			case r.Str == nil:
				if !a.IsUndef(0) || s != "" {
					t.Errorf("undef: IsUndef %v, String %q", a.IsUndef(0), s)
				}
			case s != *r.Str:
				t.Errorf("String = %q, Perl %q", s, *r.Str)
			}

			if got := a.Num(0); !samePerlNum(t, got, r.Num) {
				t.Errorf("Num = %v, Perl %s", got, r.Num)
			}
			if b, err := a.Bool(0); err != nil || b != r.True {
				t.Errorf("Bool = %v, %v; Perl %v", b, err, r.True)
			}

			// Strict accessors: a string converts when Perl would not warn.
			// undef converts to 0 (Perl warns "uninitialized"; Args
			// documents undef as 0 and IsUndef to tell).
			f, err := a.Float(0)
			if wantOK := r.LLN || !isString; (err == nil) != wantOK {
				t.Errorf("Float err = %v, Perl looks_like_number %v", err, r.LLN)
			} else if err == nil && !samePerlNum(t, f, r.Num) {
				t.Errorf("Float = %v, Perl %s", f, r.Num)
			}
			n, err := a.Int(0)
			perlInt, perr := strconv.ParseInt(r.Int, 10, 64)
			if wantOK := (r.LLN || !isString) && perr == nil; (err == nil) != wantOK {
				t.Errorf("Int = %d, %v; Perl int %s, looks_like_number %v", n, err, r.Int, r.LLN)
			} else if err == nil && n != perlInt {
				t.Errorf("Int = %d, Perl %d", n, perlInt)
			}
			if err != nil {
				var ae *ArgError
				if !errors.As(err, &ae) || ae.Index != 0 {
					t.Errorf("Int error %#v is not an *ArgError for index 0", err)
				}
			}
		})
	}
}

// TestArgsRecordedPerlMessages reads the ping and pong of the recorded
// sessions: Perl's sender does `cal $port, ping => 42`, so 42 travels as an
// integer; Perl's receiver prints the argument and replies `snd $reply, pong
// => $arg`, so the same 42 travels back as the string "42". A handler using
// Args reads both as 42.
func TestArgsRecordedPerlMessages(t *testing.T) {
	for _, sc := range []struct{ name, framing string }{{"json", "json"}, {"cbor", "cbor"}} {
		seen := map[string]any{}
		for _, c := range transcript.Load(t, sc.name) {
			for _, dir := range []bool{true, false} {
				h := transcript.SplitHandshake(c.Stream(dir))
				dec, err := protocol.NewDecoder(sc.framing, bytes.NewReader(h.Data))
				if err != nil {
					t.Fatal(err)
				}
				for {
					m, err := dec.Decode()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s: %v", sc.name, err)
					}
					if len(m.Data) >= 2 && (m.Data[0] == "ping" || m.Data[0] == "pong") {
						seen[m.Data[0].(string)] = m.Data[1]
						a := Args(m.Data)
						if n, err := a.Int(1); err != nil || n != 42 {
							t.Errorf("%s %v: Int(1) = %d, %v", sc.name, m, n, err)
						}
						if s, err := a.String(1); err != nil || s != "42" {
							t.Errorf("%s %v: String(1) = %q, %v", sc.name, m, s, err)
						}
					}
				}
			}
		}
		if want := (map[string]any{"ping": int64(42), "pong": "42"}); !reflect.DeepEqual(seen, want) {
			t.Errorf("%s: recorded ping/pong arguments %#v, want %#v", sc.name, seen, want)
		}
	}
}

func TestArgsMissingAndUndef(t *testing.T) {
	a := Args{"tag", nil}
	if !a.IsUndef(1) || !a.IsUndef(2) || a.IsUndef(0) || !a.IsUndef(-1) {
		t.Error("IsUndef")
	}
	if s, err := a.String(1); err != nil || s != "" {
		t.Errorf("String(undef) = %q, %v", s, err)
	}
	if n, err := a.Int(1); err != nil || n != 0 {
		t.Errorf("Int(undef) = %d, %v", n, err)
	}
	_, err := a.Int(2)
	var ae *ArgError
	if !errors.As(err, &ae) || ae.Index != 2 || ae.Got != "nothing (2 arguments)" {
		t.Fatalf("Int(2) error = %v", err)
	}
	if got := err.Error(); got != "argument 2: want an integer, got nothing (2 arguments)" {
		t.Errorf("message %q", got)
	}
	if a.StringOr(1, "def") != "def" || a.StringOr(5, "def") != "def" || a.StringOr(0, "def") != "tag" {
		t.Error("StringOr")
	}
	if a.IntOr(1, 7) != 7 || a.IntOr(0, 7) != 7 || (Args{"12"}).IntOr(0, 7) != 12 {
		t.Error("IntOr")
	}
	if a.Num(9) != 0 {
		t.Error("Num of a missing argument")
	}
}

func TestArgsErrorsNameTheValue(t *testing.T) {
	a := Args{"tag", "12abc", []any{1}, map[string]any{"a": 1}}
	for _, c := range []struct {
		err  error
		want string
	}{
		{second(a.Int(1)), `argument 1: want an integer, got "12abc" (a string)`},
		{second(a.Float(1)), `argument 1: want a number, got "12abc" (a string)`},
		{second(a.String(2)), `argument 2: want a string, got an array of 1`},
		{second(a.Int(3)), `argument 3: want an integer, got a map of 1`},
	} {
		if c.err == nil || c.err.Error() != c.want {
			t.Errorf("got %v, want %s", c.err, c.want)
		}
	}
	if a.Num(1) != 12 {
		t.Errorf("Num(\"12abc\") = %v, Perl gives 12", a.Num(1))
	}
	if b, _ := a.Bool(2); !b {
		t.Error("an array is true in Perl")
	}
}

func second[T any](_ T, err error) error { return err }

type peer struct {
	Name    string            `aemp:"name"`
	Port    uint16            `aemp:"port"`
	Weight  float64           // matched as "weight" (case-insensitive)
	Up      bool              `aemp:"up"`
	Tags    []string          `aemp:"tags"`
	Limits  map[string]int    `aemp:"limits"`
	Owner   *peerOwner        `aemp:"owner"`
	Note    *string           `aemp:"note"`
	Extra   any               `aemp:"extra"`
	Skipped string            `aemp:"-"`
	Attrs   map[string]string `aemp:"attrs"`
}

type peerOwner struct {
	ID int64 `aemp:"id"`
}

// TestArgsDecodeMapAsPerlSendsIt decodes a map in which Perl sent numbers as
// strings, strings as numbers, an integral float, booleans and undef.
func TestArgsDecodeMapAsPerlSendsIt(t *testing.T) {
	a := Args{"peer", map[string]any{
		"name":    int64(1234), // a node named by digits arrives as a number
		"port":    "4040",      // a number once printed arrives as a string
		"Weight":  "0.5",
		"up":      false,
		"tags":    []any{"a", int64(2), 3.0},
		"limits":  map[string]any{"queue": "64", "conns": 8.0},
		"owner":   map[string]any{"id": "7"},
		"note":    nil,
		"extra":   []any{"x"},
		"skipped": "no",
		"attrs":   map[string]any{"on": true, "off": false, "none": nil},
		"unknown": "ignored",
	}}
	var p peer
	if err := a.Decode(1, &p); err != nil {
		t.Fatal(err)
	}
	want := peer{
		Name: "1234", Port: 4040, Weight: 0.5, Up: false,
		Tags:   []string{"a", "2", "3"},
		Limits: map[string]int{"queue": 64, "conns": 8},
		Owner:  &peerOwner{ID: 7},
		Extra:  []any{"x"},
		Attrs:  map[string]string{"on": "1", "off": "0", "none": ""},
	}
	if !reflect.DeepEqual(p, want) {
		t.Errorf("decoded %+v\nwant    %+v", p, want)
	}
}

func TestArgsDecodeErrors(t *testing.T) {
	for _, c := range []struct {
		arg  any
		want string
	}{
		{map[string]any{"port": "http"}, `argument 0, port: want a non-negative integer (uint16), got "http" (a string)`},
		{map[string]any{"port": int64(70000)}, `argument 0, port: want a non-negative integer (uint16), got 70000 (a number)`},
		{map[string]any{"port": int64(-1)}, `argument 0, port: want a non-negative integer (uint16), got -1 (a number)`},
		{map[string]any{"tags": []any{"a", []any{}}}, `argument 0, tags[1]: want a string, got an array of 0`},
		{map[string]any{"owner": map[string]any{"id": 1.5e300}}, `argument 0, owner.id: want an integer (int64), got 1.5e+300 (a number)`},
		{map[string]any{"limits": "none"}, `argument 0, limits: want a map, got "none" (a string)`},
		{"just a string", `argument 0: want a map, got "just a string" (a string)`},
	} {
		var p peer
		err := Args{c.arg}.Decode(0, &p)
		var ae *ArgError
		if !errors.As(err, &ae) || err.Error() != c.want {
			t.Errorf("Decode(%v) = %v\nwant %s", c.arg, err, c.want)
		}
	}
	var p peer
	if err := (Args{}).Decode(0, p); err == nil {
		t.Error("Decode into a non-pointer succeeded")
	}
	if err := (Args{}).Decode(0, &p); err == nil {
		t.Error("Decode of a missing argument succeeded")
	}
}

// TestArgsDecodeAllLikeMyList decodes a positional list as Perl's
// `my ($tag, $nick, $count, @rest) = @_` reads it.
func TestArgsDecodeAllLikeMyList(t *testing.T) {
	type msg struct {
		Tag   string
		Nick  string
		Count int
		//lint:ignore U1000 the field exists to prove that an unexported field takes no position
		skip int
		Rest []float64 `aemp:",rest"`
	}
	var m msg
	if err := (Args{"join", int64(42), "3", 1.0, "2.5", int64(3)}).DecodeAll(&m); err != nil {
		t.Fatal(err)
	}
	if want := (msg{Tag: "join", Nick: "42", Count: 3, Rest: []float64{1, 2.5, 3}}); !reflect.DeepEqual(m, want) {
		t.Errorf("got %+v, want %+v", m, want)
	}

	var short msg
	if err := (Args{"join"}).DecodeAll(&short); err != nil || short.Tag != "join" || short.Nick != "" || short.Rest != nil {
		t.Errorf("short list: %+v, %v", short, err)
	}

	err := (Args{"join", "nick", "three"}).DecodeAll(&m)
	if err == nil || err.Error() != `argument 2: want an integer (int), got "three" (a string)` {
		t.Errorf("error = %v", err)
	}
	var notStruct int
	if err := (Args{}).DecodeAll(&notStruct); err == nil {
		t.Error("DecodeAll into an int succeeded")
	}
}
