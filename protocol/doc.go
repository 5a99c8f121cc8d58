// Package protocol implements the wire format of AnyEvent::MP 2.02 (AEMP):
// the two greeting lines, the authentication line, the optional TLS upgrade
// and the JSON and CBOR message framings.
//
// It is a codec in the sense of golang.org/x/net/http2's Framer: it parses
// and formats lines and frames over an io.Reader/io.Writer and owns no
// goroutines and no node state, so it can be tested with bytes alone: the
// greeting and auth lines, the HMAC and cleartext tokens and both framings are
// checked against the bytes recorded from real Perl nodes in fixtures/. The TLS
// upgrade and tls_sha3_512 tokens, which a capture cannot show in clear, are
// tested Go against Go here and against live Perl in interop/.
//
// Perl's built-in defaults (auth lists, framings, monitor_timeout,
// connect_interval) are defined once, in defaults.go, and the lists are
// returned as fresh slices. Perl's scalar rules (how a string numifies, what
// is true, how a number prints) are in perlnum.go.
//
// The reference is MP/Transport.pm of AnyEvent::MP 2.02. Where Perl behaves
// in a surprising way the quirk is matched and documented next to the code
// that matches it.
package protocol
