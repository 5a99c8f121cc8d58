package protocol

import "errors"

// Handshake failures. Each is wrapped with %w together with the peer's node
// ID and address, so an operator reads e.g.
//
//	aemp: handshake with node "seed" at 127.0.0.1:4040: authentication failure/shared secret mismatch
//
// and a program can still test errors.Is(err, protocol.ErrAuthFailed).
var (
	// ErrAuthFailed: the peer's auth token does not match; in practice the
	// two nodes do not share the same secret. The text is Perl's own log
	// message, which is what AEMP operators search for.
	ErrAuthFailed = errors.New("authentication failure/shared secret mismatch")
	// ErrVersionMismatch: the peer speaks another AEMP protocol version.
	ErrVersionMismatch = errors.New("version mismatch")
	// ErrNotAEMP: the first line is not an AEMP greeting at all.
	ErrNotAEMP = errors.New("unparsable greeting")
	// ErrEchoAttack: the peer sent back our own two greeting lines.
	ErrEchoAttack = errors.New("authentication error, echo attack?")
	// ErrIdenticalNonce: the peer's nonce equals ours, which the protocol
	// forbids (Transport.pm PROTOCOL section: "an aemp implementation must
	// check and fail when they are identical").
	ErrIdenticalNonce = errors.New("identical nonces")
	// ErrNoCommonAuth: none of the peer's auth methods is one we offer.
	ErrNoCommonAuth = errors.New("no common auth type supported")
	// ErrNoCommonFraming: none of the peer's framings is one we support,
	// or the peer chose to send a framing we did not offer.
	ErrNoCommonFraming = errors.New("no common framing method supported")
	// ErrUnsupportedAuth: the peer used an auth method we do not accept.
	ErrUnsupportedAuth = errors.New("unsupported auth method")
	// ErrNoSecret: neither TLS nor a shared secret is available.
	ErrNoSecret = errors.New("unable to handshake TLS and no shared secret configured")
	// ErrSelf: the peer has our own node ID. The capital I is Perl's wording
	// (Transport.pm), which operators already search their logs for.
	//lint:ignore ST1005 Perl's own error text, kept word for word
	ErrSelf = errors.New("I refuse to talk to myself")
	// ErrAlreadyConnected: we already have a connection to that node.
	ErrAlreadyConnected = errors.New("already connected, not connecting again")
	// ErrLineTooLong: a pre-auth line exceeded MaxLineLength.
	ErrLineTooLong = errors.New("handshake line too long")
	// ErrTLS: the TLS upgrade or certificate verification failed.
	ErrTLS = errors.New("TLS handshake failed")
	// ErrBadFrame: the data phase carried something that is not an AEMP
	// message (not an array, or undecodable bytes).
	ErrBadFrame = errors.New("malformed message")
)
