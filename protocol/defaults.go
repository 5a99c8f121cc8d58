package protocol

import "time"

// Perl's built-in defaults (AnyEvent::MP 2.02 Config.pm find_profile, lines
// 85-92), written once here for protocol, compat and node. The lists are
// functions that return a fresh slice on every call, so a caller that
// appends to or edits its copy cannot change the defaults of anybody else.
const (
	// DefaultMonitorTimeout is Perl's monitor_timeout: the read timeout
	// until authentication completes, and the cap of the seed and keepalive
	// retry back-off.
	DefaultMonitorTimeout = 30 * time.Second
	// DefaultConnectInterval is Perl's connect_interval: the time given to
	// each transport address of a node before trying the next.
	DefaultConnectInterval = 2 * time.Second
)

// DefaultAuthOffer returns Perl's default auth_offer: the methods a node
// may send, preferred first.
func DefaultAuthOffer() []string {
	return []string{AuthTLSSHA3, AuthHMAC}
}

// DefaultAuthAccept returns Perl's default auth_accept: the methods a node
// accepts and lists in its greeting.
func DefaultAuthAccept() []string {
	return []string{AuthTLSSHA3, AuthHMAC, AuthTLSAnon, AuthCleartext}
}

// DefaultFramings returns the framings aemp-go can send and receive, in the
// order it prefers them. Perl's default framing_format is cbor, json,
// storable (see compat.DefaultFramingFormat); Storable is Perl's own
// serialisation and has no meaning outside Perl.
func DefaultFramings() []string {
	return []string{FramingCBOR, FramingJSON}
}
