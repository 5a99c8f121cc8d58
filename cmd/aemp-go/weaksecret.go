package main

import "github.com/aemp-go/aemp-go/compat"

// warnWeakSecret warns on stderr when a profile's shared secret fails
// compat.WeakSecret. AEMP nodes (Perl's too) send their HMAC token before
// checking the peer's, so anyone who can open a TCP connection gets a sample
// to guess a weak secret with, offline. `run` and `doctor` call it.
func (s *session) warnWeakSecret(profile, secret string) {
	if weak, why := compat.WeakSecret(secret); weak {
		s.warnf("the shared secret of profile %q is weak (%s): any client that connects receives an auth token "+
			"with which it can guess the secret offline; run `aemp-go gensecret` for a random one, "+
			"or require TLS (`aemp-go gencert`)", profile, why)
	}
}
