// Package protocol implements the wire format of AnyEvent::MP 2.02 (AEMP):
// the two greeting lines, the authentication line, the optional TLS upgrade
// and the JSON and CBOR message framings.
//
// It is a codec in the sense of golang.org/x/net/http2's Framer: it parses
// and formats lines and frames over an io.Reader/io.Writer and owns no
// goroutines and no node state. Everything here can be tested with the bytes
// recorded from real Perl nodes in fixtures/.
//
// The reference is MP/Transport.pm of AnyEvent::MP 2.02. Where Perl behaves
// in a surprising way the quirk is matched and documented next to the code
// that matches it.
package protocol
