package transcript

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha3"
	"encoding/hex"
	"hash"
	"os"
	"slices"
	"strings"
	"testing"
)

// scenarios lists the recorded fixture folders. pyclient has no streams.txt,
// only decoded.txt.
var scenarios = []struct {
	name       string
	hasStreams bool
}{
	{"json", true},
	{"cbor", true},
	{"json-exercise", true},
	{"cbor-exercise", true},
	{"pyclient", false},
}

func TestFixtureConnectionCount(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			conns := Load(t, sc.name)
			files := []string{"decoded.txt"}
			if sc.hasStreams {
				files = append(files, "streams.txt")
			}
			for _, f := range files {
				if want := countBlocks(t, fixturePath(t, sc.name, f)); len(conns) != want {
					t.Errorf("%d connections, %s has %d", len(conns), f, want)
				}
			}
		})
	}
}

// expectedConns returns the dump that lists every connection's greetings:
// streams.txt where it exists, else decoded.txt.
func expectedConns(t *testing.T, scenario string, hasStreams bool) []*dumpConn {
	if hasStreams {
		return parseStreams(t, fixturePath(t, scenario, "streams.txt"))
	}
	return parseDecoded(t, fixturePath(t, scenario, "decoded.txt"))
}

// matchConns pairs captured connections with dump blocks, which are listed
// in SYN order too, and checks the endpoints agree.
func matchConns(t *testing.T, conns []*Conn, dump []*dumpConn) {
	t.Helper()
	if len(conns) != len(dump) {
		t.Fatalf("%d connections, dump has %d", len(conns), len(dump))
	}
	for i, c := range conns {
		if c.Client != dump[i].client || c.Server != dump[i].server {
			t.Fatalf("connection %d is %v -> %v, dump says %v -> %v", i, c.Client, c.Server, dump[i].client, dump[i].server)
		}
	}
}

func TestFixtureGreetings(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			conns := Load(t, sc.name)
			dump := expectedConns(t, sc.name, sc.hasStreams)
			matchConns(t, conns, dump)
			for i, c := range conns {
				for d, fromClient := range []bool{true, false} {
					got := SplitHandshake(c.Stream(fromClient)).Lines
					want := dump[i].lines[d]
					if len(want) == 0 {
						// Refused connections (SYN answered by RST)
						// carry no bytes at all.
						if len(got) != 0 {
							t.Errorf("%v fromClient=%v: got lines %q, dump has none", c.Client, fromClient, got)
						}
						continue
					}
					if len(want) < 2 || !strings.HasPrefix(want[0], "aemp;1;") {
						t.Fatalf("%v fromClient=%v: dump has no greeting: %q", c.Client, fromClient, want)
					}
					if len(got) < 2 || got[0] != want[0] || got[1] != want[1] {
						t.Errorf("%v fromClient=%v:\n got %q\nwant %q", c.Client, fromClient, got, want[:2])
					}
				}
			}
		})
	}
}

// TestFixtureSegments compares every segment, its time and direction, and
// the FIN flags with the independent reassembly in streams.txt.
func TestFixtureSegments(t *testing.T) {
	for _, sc := range scenarios {
		if !sc.hasStreams {
			continue
		}
		t.Run(sc.name, func(t *testing.T) {
			conns := Load(t, sc.name)
			dump := parseStreams(t, fixturePath(t, sc.name, "streams.txt"))
			matchConns(t, conns, dump)
			for i, c := range conns {
				want := dump[i]
				if len(c.Segments) != len(want.segs) {
					t.Errorf("%v: %d segments, dump has %d", c.Client, len(c.Segments), len(want.segs))
					continue
				}
				for j, s := range c.Segments {
					w := want.segs[j]
					if fmtTime(s) != w.time || s.FromClient != w.fromClient || !bytes.Equal(s.Data, w.data) {
						t.Errorf("%v segment %d: got %s fromClient=%v %q, want %s fromClient=%v %q",
							c.Client, j, fmtTime(s), s.FromClient, s.Data, w.time, w.fromClient, w.data)
					}
				}
				if c.ClientFIN != want.flags[0]["FIN"] || c.ServerFIN != want.flags[1]["FIN"] {
					t.Errorf("%v: FIN client=%v server=%v, dump says %v %v",
						c.Client, c.ClientFIN, c.ServerFIN, want.flags[0]["FIN"], want.flags[1]["FIN"])
				}
			}
		})
	}
}

// TestFixtureDecoded checks that each direction's handshake lines are the
// ones in decoded.txt and that its data phase is exactly the listed packets,
// concatenated (AEMP frames JSON and CBOR without separators).
func TestFixtureDecoded(t *testing.T) {
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			conns := Load(t, sc.name)
			dump := parseDecoded(t, fixturePath(t, sc.name, "decoded.txt"))
			matchConns(t, conns, dump)
			for i, c := range conns {
				for d, fromClient := range []bool{true, false} {
					h := SplitHandshake(c.Stream(fromClient))
					if !slices.Equal(h.Lines, dump[i].lines[d]) {
						t.Errorf("%v fromClient=%v: lines\n got %q\nwant %q", c.Client, fromClient, h.Lines, dump[i].lines[d])
					}
					if want := bytes.Join(dump[i].pkts[d], nil); !bytes.Equal(h.Data, want) {
						t.Errorf("%v fromClient=%v: data phase\n got %q\nwant %q", c.Client, fromClient, h.Data, want)
					}
				}
			}
		})
	}
}

func TestFixtureKnownPackets(t *testing.T) {
	mustHex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	tests := []struct {
		scenario   string
		clientPort uint16
		fromClient bool
		packet     []byte
	}{
		// A Perl byte string "\xff\x00\x01" is sent as UTF-8 U+00FF plus \u escapes.
		{"json-exercise", 47788, true, []byte(`["9chz5TMWuYg","unicode: äöü €","bytes:ÿ\u0000\u0001"]`)},
		{"json-exercise", 47788, false, []byte(`["igYZWln9Eb","echo","unicode: äöü €","bytes:ÿ\u0000\u0001"]`)},
		{"json", 38378, true, []byte(`["","g_find","seed"]`)},
		{"json", 38378, false, []byte(`["","g_found","seed",["127.0.0.1:4040"]]`)},
		// ["",h'g_slave'] goes slave to seed, [h'',h'g_global'] seed to slave.
		{"cbor", 58134, true, mustHex("824047675f736c617665")},
		{"cbor", 58134, false, mustHex("824048675f676c6f62616c")},
	}
	for _, tt := range tests {
		var conn *Conn
		for _, c := range Load(t, tt.scenario) {
			if c.Client.Port() == tt.clientPort {
				conn = c
			}
		}
		if conn == nil {
			t.Errorf("%s: no connection from port %d", tt.scenario, tt.clientPort)
			continue
		}
		if data := SplitHandshake(conn.Stream(tt.fromClient)).Data; !bytes.Contains(data, tt.packet) {
			t.Errorf("%s/%d fromClient=%v: data phase lacks %q", tt.scenario, tt.clientPort, tt.fromClient, tt.packet)
		}
		if data := SplitHandshake(conn.Stream(!tt.fromClient)).Data; bytes.Contains(data, tt.packet) {
			t.Errorf("%s/%d: %q also sent in the other direction", tt.scenario, tt.clientPort, tt.packet)
		}
	}
}

// TestFixtureAuthTokens re-derives every captured auth token from Secret and
// the greetings, which checks Secret, SplitHandshake and the direction
// assignment together: hmac_sha3_512 signs own g1, own g2, peer g1, peer g2,
// each followed by LF; cleartext is the hex of the secret.
func TestFixtureAuthTokens(t *testing.T) {
	secret := Secret(t)
	checked := 0
	for _, sc := range scenarios {
		for _, c := range Load(t, sc.name) {
			hs := [2]Handshake{SplitHandshake(c.Stream(true)), SplitHandshake(c.Stream(false))}
			for own := range 2 {
				me, peer := hs[own].Lines, hs[1-own].Lines
				if len(me) < 3 || len(peer) < 2 {
					continue
				}
				f := strings.Split(me[2], ";")
				if len(f) != 3 {
					t.Errorf("%s %v: bad auth line %q", sc.name, c.Client, me[2])
					continue
				}
				var want string
				switch f[0] {
				case "hmac_sha3_512":
					m := hmac.New(func() hash.Hash { return sha3.New512() }, []byte(secret))
					m.Write([]byte(me[0] + "\n" + me[1] + "\n" + peer[0] + "\n" + peer[1] + "\n"))
					want = hex.EncodeToString(m.Sum(nil))
				case "cleartext":
					want = hex.EncodeToString([]byte(secret))
				default:
					t.Errorf("%s %v: unexpected auth method %q", sc.name, c.Client, f[0])
					continue
				}
				if f[1] != want {
					t.Errorf("%s %v own=%d: token %s, want %s", sc.name, c.Client, own, f[1], want)
				}
				checked++
			}
		}
	}
	if checked == 0 {
		t.Fatal("no auth lines checked")
	}
	t.Logf("%d auth tokens verified", checked)
}

func TestSecret(t *testing.T) {
	s := Secret(t)
	if len(s) != 180 || strings.Trim(s, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") != "" {
		t.Errorf("secret %q is not 180 chars of [0-9A-Za-z]", s)
	}
}

func TestDir(t *testing.T) {
	d := Dir(t)
	if _, err := os.Stat(d + "/README.md"); err != nil {
		t.Error(err)
	}
}
