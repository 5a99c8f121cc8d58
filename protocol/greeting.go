package protocol

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// ProtocolName and ProtocolVersion are the first two fields of greeting
// line 1 ($PROTOCOL_VERSION in Transport.pm).
const (
	ProtocolName    = "aemp"
	ProtocolVersion = 1
)

// Greeting keys that Perl 2.02 sends or reads.
const (
	KeyProvider = "provider" // "AE-2.02" for Perl
	KeyPeerAddr = "peeraddr" // the peer's address as the sender sees it
	KeyMProto   = "mproto"   // node protocol version (Kernel.pm adds mproto=1)
	KeyGProto   = "gproto"   // global protocol version (Kernel.pm adds gproto=1)
	KeyTLS      = "tls"      // "1.0" when the sender has a certificate and wants TLS
)

// KV is one "key=value" pair of greeting line 1, in wire form (escaped).
type KV struct {
	Key, Value string
}

// Greeting is greeting line 1:
//
//	aemp;1;<nodeid>;<auth methods>;<framings>;key=value;...
//
// Pairs keeps the key/value pairs in wire order and in wire (escaped) form,
// so that a parsed line formats back to the same bytes. Perl writes the
// pairs in hash order, which differs from run to run.
type Greeting struct {
	Protocol string // "aemp"
	Version  string // "1"; compared numerically, as Perl does
	NodeID   string
	Auths    []string // the auth methods the sender accepts, in its preference order
	Framings []string // the framings the sender can receive, in its preference order
	Pairs    []KV
}

// ParseGreeting parses greeting line 1 (without its line end).
//
// It splits like Perl's `split /;/`, which drops trailing empty fields: a
// line "aemp;1;n;;" has no auth and no framing list rather than empty ones.
// A pair without "=" is kept with an empty value (Perl keeps it as undef).
func ParseGreeting(line string) (*Greeting, error) {
	f := strings.Split(line, ";")
	for len(f) > 0 && f[len(f)-1] == "" {
		f = f[:len(f)-1]
	}
	if len(f) < 3 {
		return nil, fmt.Errorf("%w: %q has fewer than three fields", ErrNotAEMP, clip(line))
	}
	if f[0] == "" || f[2] == "" {
		// Perl would croak later in add_node ("'undef' or the empty
		// string are not valid node/port IDs").
		return nil, fmt.Errorf("%w: %q has an empty protocol or node ID", ErrNotAEMP, clip(line))
	}
	g := &Greeting{Protocol: f[0], Version: f[1], NodeID: f[2]}
	if len(f) > 3 {
		g.Auths = splitList(f[3])
	}
	if len(f) > 4 {
		g.Framings = splitList(f[4])
	}
	for _, kv := range f[min(5, len(f)):] {
		k, v, _ := strings.Cut(kv, "=")
		if k == "" { // Perl's /^([^=]+)/ needs a non-empty key
			continue
		}
		g.Pairs = append(g.Pairs, KV{k, v})
	}
	return g, nil
}

// splitList splits a comma list like Perl's `split /,/` (trailing empty
// fields dropped).
func splitList(s string) []string {
	l := strings.Split(s, ",")
	for len(l) > 0 && l[len(l)-1] == "" {
		l = l[:len(l)-1]
	}
	return l
}

// String formats the greeting as it goes on the wire, without the line end.
func (g *Greeting) String() string {
	var b strings.Builder
	b.WriteString(g.Protocol)
	b.WriteByte(';')
	b.WriteString(g.Version)
	b.WriteByte(';')
	b.WriteString(g.NodeID)
	b.WriteByte(';')
	b.WriteString(strings.Join(g.Auths, ","))
	b.WriteByte(';')
	b.WriteString(strings.Join(g.Framings, ","))
	for _, kv := range g.Pairs {
		b.WriteByte(';')
		b.WriteString(kv.Key)
		b.WriteByte('=')
		b.WriteString(kv.Value)
	}
	return b.String()
}

// Get returns the unescaped value of key.
func (g *Greeting) Get(key string) (string, bool) {
	for _, kv := range g.Pairs {
		if kv.Key == key {
			return UnescapeValue(kv.Value), true
		}
	}
	return "", false
}

// Set sets key to value (escaping it), replacing an existing pair in place.
func (g *Greeting) Set(key, value string) {
	value = EscapeValue(value)
	for i := range g.Pairs {
		if g.Pairs[i].Key == key {
			g.Pairs[i].Value = value
			return
		}
	}
	g.Pairs = append(g.Pairs, KV{key, value})
}

// VersionNumber returns the protocol version as Perl's numeric comparison
// `$version != $PROTOCOL_VERSION` sees it: the leading decimal number of the
// field, 0 when there is none ("1.0" and "1x" are both 1).
func (g *Greeting) VersionNumber() float64 {
	return PerlNumify(g.Version)
}

// WantsTLS reports whether the greeting asks for TLS, as Perl's
// `1 == int $remote_greeting{tls}` decides it.
func (g *Greeting) WantsTLS() bool {
	v, ok := g.Get(KeyTLS)
	return ok && int64(PerlNumify(v)) == 1
}

// EscapeValue escapes a greeting value as the protocol documents it: "%" as
// "%25" and ";" as "%3b". Perl 2.02 itself never escapes (and never needs
// to: its values are versions, addresses and flags), so values without
// either character are written unchanged, exactly as Perl writes them.
func EscapeValue(s string) string {
	if !strings.ContainsAny(s, "%;") {
		return s
	}
	return strings.NewReplacer("%", "%25", ";", "%3b").Replace(s)
}

// UnescapeValue undoes EscapeValue; "%3B" is accepted too. A "%" that is
// not part of either escape is kept as it is, because Perl writes values
// raw (an IPv6 zone such as "fe80::1%eth0" arrives unescaped).
func UnescapeValue(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) {
			switch strings.ToLower(s[i+1 : i+3]) {
			case "3b":
				b.WriteByte(';')
				i += 2
				continue
			case "25":
				b.WriteByte('%')
				i += 2
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// NonceSize is the number of random bytes in greeting line 2 (Perl's
// `nonce (66)`), which base64-encodes to 88 characters without padding.
const NonceSize = 66

// NewNonce returns greeting line 2: base64 of NonceSize random bytes.
func NewNonce() string {
	var b [NonceSize]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("protocol: crypto/rand failed: " + err.Error()) // cannot happen on Linux
	}
	return base64.StdEncoding.EncodeToString(b[:])
}

// clip shortens s for error messages.
func clip(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}
