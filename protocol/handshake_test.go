package protocol

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

const testSecret = "geheim"

// tcpPair returns both ends of a loopback TCP connection.
func tcpPair(t *testing.T) (dialed, accepted net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	ch := make(chan net.Conn, 1)
	go func() {
		c, _ := ln.Accept()
		ch <- c
	}()
	d, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	a := <-ch
	t.Cleanup(func() { d.Close(); a.Close() })
	return d, a
}

type result struct {
	s   *Session
	err error
}

// runPair handshakes a (dialing) against b (accepting).
func runPair(t *testing.T, a, b *HandshakeConfig) (result, result) {
	t.Helper()
	d, acc := tcpPair(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ch := make(chan result, 1)
	go func() {
		s, err := Handshake(ctx, acc, b)
		ch <- result{s, err}
	}()
	s, err := Handshake(ctx, d, a)
	return result{s, err}, <-ch
}

func cfg(node string, mod ...func(*HandshakeConfig)) *HandshakeConfig {
	c := &HandshakeConfig{NodeID: node, Secret: testSecret, Pairs: []KV{{KeyMProto, "1"}, {KeyGProto, "1"}}}
	for _, m := range mod {
		m(c)
	}
	return c
}

// exchange sends one message each way and checks it arrives.
func exchange(t *testing.T, a, b *Session) {
	t.Helper()
	for _, p := range [][2]*Session{{a, b}, {b, a}} {
		from, to := p[0], p[1]
		msg := Message{Port: "", Data: []any{"time", from.Local.NodeID + "#reply"}}
		enc, _ := Appender(from.SendFraming)
		buf, err := enc(nil, msg)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := from.Conn.Write(buf); err != nil {
			t.Fatal(err)
		}
		dec, _ := NewDecoder(to.RecvFraming, to.Reader)
		got, err := dec.Decode()
		if err != nil {
			t.Fatalf("%s -> %s: %v", from.Local.NodeID, to.Local.NodeID, err)
		}
		if got.String() != msg.String() {
			t.Fatalf("got %v, want %v", got, msg)
		}
	}
}

func TestHandshakeFramingSelection(t *testing.T) {
	tests := []struct {
		name           string
		fa, fb         []string
		aSends, bSends string
	}{
		{"default both cbor", nil, nil, FramingCBOR, FramingCBOR},
		{"json only", []string{"json"}, []string{"json"}, FramingJSON, FramingJSON},
		{"mixed: each side picks from the other's list", []string{"json", "cbor"}, []string{"cbor"}, FramingCBOR, FramingCBOR},
		{"mixed directions", []string{"json", "cbor"}, []string{"cbor", "json"}, FramingCBOR, FramingJSON},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ra, rb := runPair(t,
				cfg("a", func(c *HandshakeConfig) { c.Framings = tt.fa }),
				cfg("b", func(c *HandshakeConfig) { c.Framings = tt.fb }))
			if ra.err != nil || rb.err != nil {
				t.Fatalf("handshake: %v / %v", ra.err, rb.err)
			}
			if ra.s.SendFraming != tt.aSends || rb.s.SendFraming != tt.bSends {
				t.Fatalf("a sends %s, b sends %s", ra.s.SendFraming, rb.s.SendFraming)
			}
			if ra.s.RecvFraming != rb.s.SendFraming || rb.s.RecvFraming != ra.s.SendFraming {
				t.Fatal("receive framing does not match the peer's send framing")
			}
			if ra.s.LocalAuth.Method != AuthHMAC || ra.s.Remote.NodeID != "b" || rb.s.Remote.NodeID != "a" {
				t.Fatalf("auth %s, remote %s/%s", ra.s.LocalAuth.Method, ra.s.Remote.NodeID, rb.s.Remote.NodeID)
			}
			exchange(t, ra.s, rb.s)
		})
	}
}

func TestHandshakeWrongSecretNamesPeerOnBothSides(t *testing.T) {
	ra, rb := runPair(t, cfg("alice"), cfg("bob", func(c *HandshakeConfig) { c.Secret = "other" }))
	for _, r := range []struct {
		res  result
		peer string
	}{{ra, "bob"}, {rb, "alice"}} {
		if !errors.Is(r.res.err, ErrAuthFailed) {
			t.Fatalf("want ErrAuthFailed, got %v", r.res.err)
		}
		msg := r.res.err.Error()
		if !strings.Contains(msg, "shared secret mismatch") || !strings.Contains(msg, `"`+r.peer+`"`) || !strings.Contains(msg, "127.0.0.1:") {
			t.Fatalf("error does not name the peer and the mismatch: %s", msg)
		}
	}
}

// rawPeer plays the other side with hand-written lines.
func rawPeer(t *testing.T, c *HandshakeConfig, lines ...string) error {
	t.Helper()
	d, acc := tcpPair(t)
	go func() {
		io.WriteString(acc, strings.Join(lines, "\n")+"\n")
		io.Copy(io.Discard, acc)
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := Handshake(ctx, d, c)
	if err == nil {
		s.Conn.Close()
	}
	return err
}

func TestHandshakeErrors(t *testing.T) {
	nonce := NewNonce()
	long := strings.Repeat("x", MaxLineLength)
	tests := []struct {
		name  string
		lines []string
		want  error
	}{
		{"version mismatch", []string{"aemp;2;peer;hmac_sha3_512;json", nonce}, ErrVersionMismatch},
		{"not aemp", []string{"HTTP/1.1 200 OK", ""}, ErrNotAEMP},
		{"dataconn subprotocol", []string{"aemp-dataconn;1;peer;hmac_sha3_512;json", nonce}, ErrNotAEMP},
		{"no common auth", []string{"aemp;1;peer;md5_something;json", nonce}, ErrNoCommonAuth},
		{"tls auth without tls", []string{"aemp;1;peer;tls_sha3_512,tls_anon;json", nonce}, ErrNoCommonAuth},
		{"no common framing", []string{"aemp;1;peer;hmac_sha3_512;storable,yaml", nonce}, ErrNoCommonFraming},
		{"self", []string{"aemp;1;me;hmac_sha3_512;json", nonce}, ErrSelf},
		{"oversize line", []string{long}, ErrLineTooLong},
		{"identical nonce", []string{"aemp;1;peer;hmac_sha3_512;json", "fixed"}, ErrIdenticalNonce},
		{"cleartext wrong", []string{"aemp;1;peer;hmac_sha3_512;json", nonce, "cleartext;00;json"}, ErrAuthFailed},
		{"unknown auth method", []string{"aemp;1;peer;hmac_sha3_512;json", nonce, "rot13;abc;json"}, ErrUnsupportedAuth},
		{"tls_anon without tls", []string{"aemp;1;peer;hmac_sha3_512;json", nonce, "tls_anon;;json"}, ErrAuthFailed},
		{"peer picks unoffered framing", []string{"aemp;1;peer;hmac_sha3_512;json", nonce, "cleartext;" + CleartextToken(testSecret) + ";storable"}, ErrNoCommonFraming},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := cfg("me")
			if tt.want == ErrIdenticalNonce {
				c.nonce = func() string { return "fixed" }
			}
			err := rawPeer(t, c, tt.lines...)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			var he *HandshakeError
			if !errors.As(err, &he) || he.Addr == "" {
				t.Fatalf("not a HandshakeError with an address: %#v", err)
			}
		})
	}
}

func TestHandshakeTruncatedGreeting(t *testing.T) {
	d, acc := tcpPair(t)
	go func() {
		br := bufio.NewReader(acc) // read our lines first, so close sends FIN, not RST
		br.ReadString('\n')
		br.ReadString('\n')
		io.WriteString(acc, "aemp;1;peer;hmac_sha3_512;json\n")
		acc.Close()
	}()
	_, err := Handshake(context.Background(), d, cfg("me"))
	if !errors.Is(err, io.ErrUnexpectedEOF) || !strings.Contains(err.Error(), `"peer"`) {
		t.Fatalf("got %v", err)
	}
}

func TestHandshakeEchoIsRefused(t *testing.T) {
	d, acc := tcpPair(t)
	go func() { // echo our own lines back
		br := bufio.NewReader(acc)
		l1, _ := br.ReadString('\n')
		l2, _ := br.ReadString('\n')
		io.WriteString(acc, l1+l2)
		io.Copy(io.Discard, br)
	}()
	// An echo carries our own node ID, which is refused first, exactly as
	// Perl checks the node ID before it reads the nonce.
	_, err := Handshake(context.Background(), d, cfg("me"))
	if !errors.Is(err, ErrSelf) {
		t.Fatalf("got %v", err)
	}
}

func TestHandshakeCleartextAcceptedAsPerl(t *testing.T) {
	// The "simple handshake for non-Perl nodes" of Transport.pm.
	err := rawPeer(t, cfg("me"), "aemp;1;pyclient;hmac_sha3_512;json", "", "cleartext;"+CleartextToken(testSecret)+";json")
	if err != nil {
		t.Fatalf("simple handshake refused: %v", err)
	}
}

func TestHandshakeAuthAcceptIsHonoured(t *testing.T) {
	c := cfg("me", func(c *HandshakeConfig) { c.AuthAccept = []string{AuthHMAC} })
	err := rawPeer(t, c, "aemp;1;pyclient;hmac_sha3_512;json", NewNonce(), "cleartext;"+CleartextToken(testSecret)+";json")
	if !errors.Is(err, ErrUnsupportedAuth) {
		t.Fatalf("cleartext accepted although not in auth_accept: %v", err)
	}
}

func TestHandshakeTLS(t *testing.T) {
	creds := testCreds(t)
	ra, rb := runPair(t,
		cfg("a", func(c *HandshakeConfig) { c.TLS = creds; c.Secret = "" }),
		cfg("b", func(c *HandshakeConfig) { c.TLS = creds; c.Secret = "" }))
	if ra.err != nil || rb.err != nil {
		t.Fatalf("%v / %v", ra.err, rb.err)
	}
	if !ra.s.TLS || ra.s.LocalAuth.Method != AuthTLSSHA3 || rb.s.RemoteAuth.Method != AuthTLSSHA3 {
		t.Fatalf("tls=%v auth=%s", ra.s.TLS, ra.s.LocalAuth.Method)
	}
	if v, _ := ra.s.Local.Get(KeyTLS); v != "1.0" {
		t.Fatalf("greeting lacks tls=1.0: %s", ra.s.Local)
	}
	exchange(t, ra.s, rb.s)
}

func TestHandshakeTLSWrongCertificate(t *testing.T) {
	ra, rb := runPair(t,
		cfg("a", func(c *HandshakeConfig) { c.TLS = testCreds(t) }),
		cfg("b", func(c *HandshakeConfig) { c.TLS = testCreds(t) }))
	if !errors.Is(ra.err, ErrTLS) || !errors.Is(rb.err, ErrTLS) {
		t.Fatalf("want ErrTLS on both sides, got %v / %v", ra.err, rb.err)
	}
}

func TestHandshakeTLSOnlyOneSideFallsBackToHMAC(t *testing.T) {
	ra, rb := runPair(t, cfg("a", func(c *HandshakeConfig) { c.TLS = testCreds(t) }), cfg("b"))
	if ra.err != nil || rb.err != nil {
		t.Fatalf("%v / %v", ra.err, rb.err)
	}
	if ra.s.TLS || ra.s.LocalAuth.Method != AuthHMAC {
		t.Fatalf("tls=%v auth=%s", ra.s.TLS, ra.s.LocalAuth.Method)
	}
}

// testCreds makes a self-signed key+certificate PEM like `aemp gencert`.
func testCreds(t *testing.T) *TLSCredentials {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "AnyEvent::MP"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalECPrivateKey(key)
	p := pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder})
	p = append(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})...)
	c, err := ParseTLSCredentials(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
