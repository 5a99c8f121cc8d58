package compat

import (
	"strings"
	"testing"
)

func TestWeakSecret(t *testing.T) {
	for _, c := range []struct {
		secret string
		why    string // "" when the secret passes
	}{
		{"", ""}, // no secret at all is not this check's business
		{"secret", "only 6 characters, want at least 16"},
		{"fifteen-chars!!", "only 15 characters, want at least 16"},
		{strings.Repeat("a", 40), "about 0 bits by estimate, want at least 80"},
		{strings.Repeat("abc", 10), "about 48 bits by estimate, want at least 80"},
		{strings.Repeat("ab", 8), "about 19 bits by estimate, want at least 80"},
		{"12345678901234567890", "about 66 bits by estimate, want at least 80"}, // 20 digits
		{"qwhdkeitnzbxmsoalrpv", ""},                                            // 20 random lower-case letters: about 94 bits
		{"3f9a0c7e12b4d8a6f0e2c4b6a8d0f2e4", ""},                                // 128 random bits in hex
		{"Xk9#mQ2$vL7!pR4@", ""},                                                // 16 random mixed characters
		{GenSecret(), ""},                                                       // what gensecret makes
	} {
		weak, why := WeakSecret(c.secret)
		if weak != (c.why != "") || why != c.why {
			t.Errorf("WeakSecret(%q) = %v, %q; want %q", c.secret, weak, why, c.why)
		}
	}
	if bits := SecretBits(GenSecret()); bits < 900 {
		t.Errorf("gensecret's secret estimated at %.0f bits", bits)
	}
}
