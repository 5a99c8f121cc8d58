package compat

import (
	"bytes"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"net"
	"testing"
	"time"
)

func TestGenCert(t *testing.T) {
	now := time.Date(2026, 11, 24, 16, 20, 33, 500, time.UTC)
	text, err := genCert(now)
	if err != nil {
		t.Fatal(err)
	}

	// Layout: "$cert$key", certificate block first (bin/aemp gen_cert).
	var types []string
	rest := []byte(text)
	for {
		var b *pem.Block
		b, rest = pem.Decode(rest)
		if b == nil {
			break
		}
		types = append(types, b.Type)
	}
	if len(types) != 2 || types[0] != "CERTIFICATE" || types[1] != "PRIVATE KEY" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("PEM blocks %v (rest %q), want [CERTIFICATE PRIVATE KEY]", types, rest)
	}

	// Key and certificate from the one PEM text.
	pair, err := tls.X509KeyPair([]byte(text), []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	key, ok := pair.PrivateKey.(*rsa.PrivateKey)
	if !ok || key.N.BitLen() != 2048 || key.E != 65537 {
		t.Errorf("key: %T, want RSA 2048 e=65537", pair.PrivateKey)
	}
	if cert.Subject.CommonName != "AnyEvent::MP" || cert.Issuer.CommonName != "AnyEvent::MP" || len(cert.Subject.Names) != 1 {
		t.Errorf("subject %v issuer %v", cert.Subject, cert.Issuer)
	}
	// OpenSSL encodes the CN as a UTF8String (tag 12); Go would pick PrintableString.
	if !bytes.Contains(cert.RawSubject, append([]byte{asn1.TagUTF8String, 12}, "AnyEvent::MP"...)) {
		t.Errorf("CN is not a UTF8String: % x", cert.RawSubject)
	}
	if !cert.NotBefore.Equal(now.Truncate(time.Second)) || cert.NotAfter.Sub(cert.NotBefore) != 3650*24*time.Hour {
		t.Errorf("validity %v .. %v", cert.NotBefore, cert.NotAfter)
	}
	if cert.Version != 3 || cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("version %d alg %v", cert.Version, cert.SignatureAlgorithm)
	}
	if !cert.IsCA || !cert.BasicConstraintsValid || cert.KeyUsage != 0 || len(cert.ExtKeyUsage) != 0 {
		t.Errorf("CA %v bc %v ku %v eku %v", cert.IsCA, cert.BasicConstraintsValid, cert.KeyUsage, cert.ExtKeyUsage)
	}
	if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 159 {
		t.Errorf("serial %v", cert.SerialNumber)
	}
	if len(cert.SubjectKeyId) != 20 || !bytes.Equal(cert.SubjectKeyId, cert.AuthorityKeyId) {
		t.Errorf("SKI % x AKI % x", cert.SubjectKeyId, cert.AuthorityKeyId)
	}
	var order []string
	for _, e := range cert.Extensions {
		order = append(order, e.Id.String())
	}
	if want := []string{"2.5.29.14", "2.5.29.35", "2.5.29.19"}; len(order) != 3 || order[0] != want[0] || order[1] != want[1] || order[2] != want[2] {
		t.Errorf("extensions %v, want OpenSSL's order %v", order, want)
	}
	if !cert.Extensions[2].Critical {
		t.Error("basicConstraints not critical")
	}

	// It verifies against itself as the only CA, for any usage.
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	if _, err := cert.Verify(x509.VerifyOptions{
		Roots:       pool,
		CurrentTime: now.Add(time.Hour),
		KeyUsages:   []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}); err != nil {
		t.Errorf("self-verification: %v", err)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: pool, CurrentTime: now.Add(3651 * 24 * time.Hour)}); err == nil {
		t.Error("verified after expiry")
	}
}

// TestLoadCertHandshake uses one "cert" value on both ends of a mutually
// authenticated TLS connection, as two nodes sharing a config do.
func TestLoadCertHandshake(t *testing.T) {
	text, err := GenCert()
	if err != nil {
		t.Fatal(err)
	}
	pair, pool, err := LoadCert(text)
	if err != nil {
		t.Fatal(err)
	}
	// Peers are not named by host; verify the chain only, as AnyEvent::TLS
	// with verify => 1 and no peername does.
	verify := func(raw [][]byte, _ [][]*x509.Certificate) error {
		c, err := x509.ParseCertificate(raw[0])
		if err != nil {
			return err
		}
		_, err = c.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
		return err
	}
	cfg := &tls.Config{
		Certificates:          []tls.Certificate{pair},
		InsecureSkipVerify:    true, // replaced by VerifyPeerCertificate
		VerifyPeerCertificate: verify,
		ClientAuth:            tls.RequireAnyClientCert,
	}
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	errc := make(chan error, 1)
	go func() { errc <- tls.Server(a, cfg).Handshake() }()
	if err := tls.Client(b, cfg).Handshake(); err != nil {
		t.Fatalf("client: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server: %v", err)
	}

	other, _ := GenCert()
	if _, _, err := LoadCert(other[:len(other)/2]); err == nil {
		t.Error("LoadCert accepted a truncated PEM")
	}
}
