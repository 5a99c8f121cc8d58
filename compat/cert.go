package compat

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"
)

// CertCommonName, CertValidity and CertKeyBits are what `aemp gencert` asks
// OpenSSL for (bin/aemp sub gen_cert):
//
//	openssl req -new -nodes -x509 -days 3650 -newkey rsa:2048
//	            -keyout /dev/fd/3 -batch -subj /CN=AnyEvent::MP
const (
	CertCommonName = "AnyEvent::MP"
	CertValidity   = 3650 * 24 * time.Hour
	CertKeyBits    = 2048
)

// GenCert returns a new self-signed key and certificate in the form `aemp
// gencert` stores in the "cert" key.
//
// Perl quirk kept: gen_cert returns "$cert$key", so the CERTIFICATE block
// comes first and the unencrypted PKCS#8 "PRIVATE KEY" block second, although
// the aemp manual says `setcert` files hold "the key, followed by the
// certificate". AnyEvent::TLS, and tls.X509KeyPair, accept either order.
//
// The certificate matches what OpenSSL 3's `req -x509` produces with the
// stock openssl.cnf (v3_ca): version 3, a random positive 159-bit serial,
// sha256WithRSAEncryption, subject = issuer = CN=AnyEvent::MP as a
// UTF8String, validity now .. now+3650 days, and the extensions in OpenSSL's
// order: subjectKeyIdentifier (SHA-1 of the public key), authorityKeyIdentifier
// (keyid only) and critical basicConstraints CA:TRUE. No key usage or
// extended key usage, so the certificate serves as client, server and CA
// certificate, as Transport.pm uses it (cert and ca_cert are the same text).
// The only differences from an OpenSSL-made one are the random values and
// times, and that OpenSSL's exact output depends on the local openssl.cnf.
func GenCert() (string, error) {
	return genCert(time.Now())
}

func genCert(now time.Time) (string, error) {
	key, err := rsa.GenerateKey(rand.Reader, CertKeyBits)
	if err != nil {
		return "", err
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return "", err
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(pubDER, &spki); err != nil {
		return "", err
	}
	// RFC 5280 4.2.1.2 method 1, what OpenSSL's "hash" computes. Set
	// explicitly: newer Go versions default to a truncated SHA-256.
	ski := sha1.Sum(spki.PublicKey.Bytes)

	subject, err := asn1.Marshal(pkix.RDNSequence{{{
		Type:  asn1.ObjectIdentifier{2, 5, 4, 3}, // commonName
		Value: asn1.RawValue{Tag: asn1.TagUTF8String, Bytes: []byte(CertCommonName)},
	}}})
	if err != nil {
		return "", err
	}

	serialBytes := make([]byte, 20)
	rand.Read(serialBytes)
	serialBytes[0] &= 0x7f // 159 bits, positive, as OpenSSL's rand_serial
	serial := new(big.Int).SetBytes(serialBytes)
	if serial.Sign() == 0 {
		serial.SetInt64(1)
	}

	skiExt, err := asn1.Marshal(ski[:])
	if err != nil {
		return "", err
	}
	akiExt, err := asn1.Marshal(struct {
		KeyID []byte `asn1:"optional,tag:0"`
	}{ski[:]})
	if err != nil {
		return "", err
	}
	bcExt, err := asn1.Marshal(struct{ IsCA bool }{true})
	if err != nil {
		return "", err
	}

	notBefore := now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:       serial,
		RawSubject:         subject,
		NotBefore:          notBefore,
		NotAfter:           notBefore.Add(CertValidity),
		SignatureAlgorithm: x509.SHA256WithRSA,
		// The extensions go in as raw extensions so that their order and
		// encoding are OpenSSL's; Go would put basicConstraints first.
		ExtraExtensions: []pkix.Extension{
			{Id: asn1.ObjectIdentifier{2, 5, 29, 14}, Value: skiExt},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 35}, Value: akiExt},
			{Id: asn1.ObjectIdentifier{2, 5, 29, 19}, Critical: true, Value: bcExt},
		},
	}
	certDER, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	pem.Encode(&b, &pem.Block{Type: "CERTIFICATE", Bytes: certDER})
	pem.Encode(&b, &pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return b.String(), nil
}

// LoadCert reads a "cert" value the way Transport.pm uses it: the same PEM
// text is AnyEvent::TLS's cert (the node's key and certificate, in either
// order) and its ca_cert (every certificate in it is trusted, and peers must
// present a certificate that chains to one of them).
func LoadCert(pemText string) (tls.Certificate, *x509.CertPool, error) {
	pair, err := tls.X509KeyPair([]byte(pemText), []byte(pemText))
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("cert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM([]byte(pemText)) {
		return tls.Certificate{}, nil, errors.New("cert: no certificate to trust")
	}
	return pair, pool, nil
}
