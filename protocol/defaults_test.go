package protocol

import (
	"reflect"
	"testing"
)

// TestDefaultListsAreFresh proves the default lists cannot be changed by
// a caller: editing or appending to one returned slice leaves the next
// call, and the handshake's own defaults, as they were.
func TestDefaultListsAreFresh(t *testing.T) {
	for name, f := range map[string]func() []string{
		"DefaultAuthOffer":  DefaultAuthOffer,
		"DefaultAuthAccept": DefaultAuthAccept,
		"DefaultFramings":   DefaultFramings,
	} {
		want := f()
		got := f()
		got[0] = "mutated"
		_ = append(got[:1], "appended")
		if again := f(); !reflect.DeepEqual(again, want) {
			t.Errorf("%s after mutating a returned copy: %v, want %v", name, again, want)
		}
	}
	g := (&HandshakeConfig{NodeID: "a"}).LocalGreeting()
	g.Auths[0], g.Framings[0] = "mutated", "mutated"
	g2 := (&HandshakeConfig{NodeID: "a"}).LocalGreeting()
	if !reflect.DeepEqual(g2.Auths, DefaultAuthAccept()) || !reflect.DeepEqual(g2.Framings, DefaultFramings()) {
		t.Errorf("a greeting's lists alias the defaults: next greeting has %v and %v", g2.Auths, g2.Framings)
	}
}

// TestDefaultValues pins the defaults to Perl's (Config.pm find_profile,
// Transport.pm): changing one changes what every node offers on the wire.
func TestDefaultValues(t *testing.T) {
	if got, want := DefaultAuthOffer(), []string{"tls_sha3_512", "hmac_sha3_512"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultAuthOffer() = %v, want %v", got, want)
	}
	if got, want := DefaultAuthAccept(), []string{"tls_sha3_512", "hmac_sha3_512", "tls_anon", "cleartext"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultAuthAccept() = %v, want %v", got, want)
	}
	if got, want := DefaultFramings(), []string{"cbor", "json"}; !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultFramings() = %v, want %v", got, want)
	}
	if DefaultMonitorTimeout.Seconds() != 30 || DefaultConnectInterval.Seconds() != 2 {
		t.Errorf("DefaultMonitorTimeout, DefaultConnectInterval = %v, %v, want 30s, 2s", DefaultMonitorTimeout, DefaultConnectInterval)
	}
}
