package protocol

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// TLSCredentials hold what Perl builds from the `cert` config key: one PEM
// with a private key and certificate(s), used both as our own certificate
// and as the only trusted CA (Transport.pm: cert => $cert, ca_cert => $cert,
// verify => 1, verify_require_client_cert => 1). Every node of a mesh shares
// the same file, as written by `aemp gencert`.
type TLSCredentials struct {
	cert tls.Certificate
	pool *x509.CertPool
}

// ParseTLSCredentials parses the PEM contents of a `cert` config value.
func ParseTLSCredentials(pemData []byte) (*TLSCredentials, error) {
	cert, err := tls.X509KeyPair(pemData, pemData)
	if err != nil {
		return nil, fmt.Errorf("aemp cert: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return nil, errors.New("aemp cert: no certificate in PEM data")
	}
	return &TLSCredentials{cert: cert, pool: pool}, nil
}

// verify checks the peer's chain against the shared CA. Perl sets no
// verify_peername, so host names are not checked, only that the peer holds
// a certificate issued by (or equal to) the shared one. Any extended key
// usage is accepted because the same certificate serves both roles.
func (c *TLSCredentials) verify(rawCerts [][]byte, _ [][]*x509.Certificate) error {
	if len(rawCerts) == 0 {
		return errors.New("peer sent no certificate")
	}
	certs := make([]*x509.Certificate, len(rawCerts))
	for i, raw := range rawCerts {
		cert, err := x509.ParseCertificate(raw)
		if err != nil {
			return fmt.Errorf("peer certificate: %w", err)
		}
		certs[i] = cert
	}
	inter := x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{
		Roots:         c.pool,
		Intermediates: inter,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	})
	return err
}

// config returns the TLS configuration for one side of a connection. The
// side that sent the lower nonce is the TLS client (see Handshake).
func (c *TLSCredentials) config(client bool) *tls.Config {
	cfg := &tls.Config{
		Certificates:          []tls.Certificate{c.cert},
		MinVersion:            tls.VersionTLS12,
		InsecureSkipVerify:    true, // the chain is checked by verify; there is no host name to check
		VerifyPeerCertificate: c.verify,
	}
	if !client {
		cfg.ClientAuth = tls.RequireAnyClientCert // verified by verify, as Perl requires a client cert
	}
	return cfg
}
