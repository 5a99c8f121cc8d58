package protocol

import (
	"bytes"
	"errors"
	"io"
	"reflect"
	"strings"
	"testing"

	"github.com/aemp-go/aemp-go/internal/transcript"
)

var scenarios = []string{"json", "cbor", "json-exercise", "cbor-exercise", "pyclient"}

// handshakes returns the connections of a scenario whose both directions
// got as far as the auth line.
func handshakes(t *testing.T, scenario string) (out []struct {
	conn     *transcript.Conn
	cli, srv transcript.Handshake
}) {
	for _, c := range transcript.Load(t, scenario) {
		cli := transcript.SplitHandshake(c.Stream(true))
		srv := transcript.SplitHandshake(c.Stream(false))
		if len(cli.Lines) == 3 && len(srv.Lines) == 3 {
			out = append(out, struct {
				conn     *transcript.Conn
				cli, srv transcript.Handshake
			}{c, cli, srv})
		}
	}
	return out
}

// TestGoldenGreetingsRoundTrip parses every greeting Perl sent and formats
// it back to the same bytes.
func TestGoldenGreetingsRoundTrip(t *testing.T) {
	n := 0
	for _, sc := range scenarios {
		for _, c := range transcript.Load(t, sc) {
			for _, dir := range []bool{true, false} {
				h := transcript.SplitHandshake(c.Stream(dir))
				if len(h.Lines) < 2 {
					continue
				}
				g, err := ParseGreeting(h.Lines[0])
				if err != nil {
					t.Fatalf("%s: %v", sc, err)
				}
				if got := g.String(); got != h.Lines[0] {
					t.Errorf("%s: greeting re-formatted as\n%s\nwant\n%s", sc, got, h.Lines[0])
				}
				if g.VersionNumber() != ProtocolVersion {
					t.Errorf("%s: version %q", sc, g.Version)
				}
				if strings.HasPrefix(g.NodeID, "py") { // the Python client's minimal greeting
					continue
				}
				if v, _ := g.Get(KeyProvider); v != "AE-2.02" {
					t.Errorf("%s: provider %q", sc, v)
				}
				if len(h.Lines[1]) != 88 {
					t.Errorf("%s: nonce %q is not 88 base64 chars", sc, h.Lines[1])
				}
				n++
			}
		}
	}
	if n < 20 {
		t.Fatalf("only %d Perl greetings found in the fixtures", n)
	}
}

// TestGoldenAuthTokens reproduces every auth token in the recorded
// sessions bit for bit, and verifies it from the receiving side.
func TestGoldenAuthTokens(t *testing.T) {
	secret := transcript.Secret(t)
	checked := 0
	for _, sc := range scenarios {
		for _, h := range handshakes(t, sc) {
			cl := [2]string{h.cli.Lines[0], h.cli.Lines[1]}
			sl := [2]string{h.srv.Lines[0], h.srv.Lines[1]}
			for _, side := range []struct {
				name         string
				auth         string
				self, remote [2]string
			}{
				{"client", h.cli.Lines[2], cl, sl},
				{"server", h.srv.Lines[2], sl, cl},
			} {
				a := ParseAuthLine(side.auth)
				if a.String() != side.auth {
					t.Errorf("%s %s: auth line re-formatted as %q", sc, side.name, a.String())
				}
				verr := VerifyToken(a, DefaultAuthAccept(), secret, side.remote, side.self, false)
				switch a.Method {
				case AuthHMAC:
					want := HMACToken(secret, side.self[0], side.self[1], side.remote[0], side.remote[1])
					tok, err := LocalToken(AuthHMAC, secret, side.self, side.remote, false)
					if err != nil || tok != want {
						t.Errorf("LocalToken = %q, %v", tok, err)
					}
					if a.Token != want {
						// the pyclient's deliberately wrong token
						if !errors.Is(verr, ErrAuthFailed) {
							t.Errorf("%s %s: token %s is not reproduced (%s) and not rejected: %v", sc, side.name, a.Token, want, verr)
						}
						continue
					}
				case AuthCleartext:
					if a.Token != CleartextToken(secret) {
						t.Errorf("%s: cleartext token %q", sc, a.Token)
					}
				default:
					t.Errorf("%s: unexpected auth method %q", sc, a.Method)
				}
				if verr != nil {
					t.Errorf("%s %s: VerifyToken: %v", sc, side.name, verr)
				}
				checked++
			}
		}
	}
	if checked < 20 {
		t.Fatalf("only %d tokens checked", checked)
	}
}

// hasMultiKeyMap reports whether v holds a map with more than one key,
// whose key order on the wire is Perl's random hash order.
func hasMultiKeyMap(v any) bool {
	switch x := v.(type) {
	case []any:
		for _, e := range x {
			if hasMultiKeyMap(e) {
				return true
			}
		}
	case map[string]any:
		if len(x) > 1 {
			return true
		}
		for _, e := range x {
			if hasMultiKeyMap(e) {
				return true
			}
		}
	}
	return false
}

// TestGoldenFramesRoundTrip decodes every recorded JSON and CBOR packet
// and re-encodes it: to the very same bytes, except that maps with
// several keys come out in sorted rather than Perl's random order, where
// the bytes must then decode to an equal value.
func TestGoldenFramesRoundTrip(t *testing.T) {
	total, exact := map[string]int{}, map[string]int{}
	for _, sc := range scenarios {
		for _, h := range handshakes(t, sc) {
			for _, d := range []struct {
				hs      transcript.Handshake
				framing string
			}{
				{h.cli, ParseAuthLine(h.cli.Lines[2]).Framing},
				{h.srv, ParseAuthLine(h.srv.Lines[2]).Framing},
			} {
				if len(d.hs.Data) == 0 {
					continue
				}
				dec, err := NewDecoder(d.framing, bytes.NewReader(d.hs.Data))
				if err != nil {
					t.Fatal(err)
				}
				appendFn, _ := Appender(d.framing)
				off := 0
				for {
					m, err := dec.Decode()
					if err == io.EOF {
						break
					}
					if err != nil {
						t.Fatalf("%s %s: decode after %d bytes: %v", sc, d.framing, off, err)
					}
					b, err := appendFn(nil, m)
					if err != nil {
						t.Fatalf("%s: re-encode %v: %v", sc, m, err)
					}
					if off+len(b) > len(d.hs.Data) {
						t.Fatalf("%s: re-encoded %v is longer than what is left of the stream", sc, m)
					}
					orig := d.hs.Data[off : off+len(b)]
					total[d.framing]++
					if bytes.Equal(orig, b) {
						exact[d.framing]++
					} else {
						if !hasMultiKeyMap(m.Data) {
							t.Errorf("%s %s: re-encoded\n %x\nPerl sent\n %x\n(%v)", sc, d.framing, b, orig, m)
						}
						d2, _ := NewDecoder(d.framing, bytes.NewReader(orig))
						m2, err := d2.Decode()
						if err != nil || !reflect.DeepEqual(m, m2) {
							t.Errorf("%s: value differs: %v vs %v (%v)", sc, m, m2, err)
						}
					}
					off += len(b)
				}
				if off != len(d.hs.Data) {
					t.Errorf("%s: %d of %d bytes accounted for", sc, off, len(d.hs.Data))
				}
			}
		}
	}
	for _, f := range []string{FramingJSON, FramingCBOR} {
		t.Logf("%s: %d packets, %d byte-exact", f, total[f], exact[f])
		if total[f] < 50 || exact[f]*10 < total[f]*8 {
			t.Errorf("%s: %d packets, only %d byte-exact", f, total[f], exact[f])
		}
	}
}
