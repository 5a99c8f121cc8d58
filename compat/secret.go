package compat

import (
	"fmt"
	"math"
	"unicode"
	"unicode/utf8"
)

// Why a weak secret matters in AEMP (Perl 2.02 behaves the same): a node
// sends its own HMAC auth token before it has checked the peer's, so any
// client that can open a TCP connection collects a token and both nonces,
// with which it can try passwords offline, as fast as it can hash. A
// random secret of gensecret's kind (180 characters, about 1071 bits) makes
// that hopeless; a word or a short phrase does not. TLS with a certificate
// avoids it (the token travels only after both sides proved the key).

// MinSecretLen and MinSecretBits are the rule WeakSecret applies: at least
// 16 characters, and at least 80 bits by its estimate (a random 14-character
// mix of letters and digits has about 83; gensecret's secret about 1071).
const (
	MinSecretLen  = 16
	MinSecretBits = 80
)

// WeakSecret reports whether the shared secret s is short or easy to guess,
// and why, in words for an operator. The estimate (SecretBits) is the
// length times the bits of the character classes used (26 lower case, 26
// upper case, 10 digits, 33 ASCII symbols, 100 for any other character),
// reduced by how repetitive the string is: the Shannon entropy of its own
// characters divided by the most a string of its length could have, so
// "aaaa..." counts nothing and "abcabc..." a third. It cannot know a
// dictionary word or a phrase, so passing is no proof of strength; failing
// is a reason to run gensecret. An empty secret is not reported here (it is
// a different matter: no HMAC auth at all).
func WeakSecret(s string) (weak bool, why string) {
	n := utf8.RuneCountInString(s)
	switch {
	case n == 0:
		return false, ""
	case n < MinSecretLen:
		return true, fmt.Sprintf("only %d characters, want at least %d", n, MinSecretLen)
	}
	if bits := SecretBits(s); bits < MinSecretBits {
		return true, fmt.Sprintf("about %.0f bits by estimate, want at least %d", bits, MinSecretBits)
	}
	return false, ""
}

// SecretBits estimates the entropy of s in bits; see WeakSecret.
func SecretBits(s string) float64 {
	var lower, upper, digit, symbol, other bool
	counts := map[rune]int{}
	n := 0
	for _, r := range s {
		n++
		counts[r]++
		switch {
		case r >= 'a' && r <= 'z':
			lower = true
		case r >= 'A' && r <= 'Z':
			upper = true
		case r >= '0' && r <= '9':
			digit = true
		case r < utf8.RuneSelf && unicode.IsPrint(r):
			symbol = true
		default:
			other = true
		}
	}
	pool := 0
	for _, c := range []struct {
		used bool
		size int
	}{{lower, 26}, {upper, 26}, {digit, 10}, {symbol, 33}, {other, 100}} {
		if c.used {
			pool += c.size
		}
	}
	byPool := float64(n) * math.Log2(float64(pool))
	if n < 2 {
		return byPool
	}
	var shannon float64
	for _, c := range counts {
		p := float64(c) / float64(n)
		shannon -= p * math.Log2(p)
	}
	diversity := shannon / math.Log2(float64(min(n, pool)))
	return byPool * math.Min(1, diversity)
}
