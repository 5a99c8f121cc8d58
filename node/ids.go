package node

import (
	"crypto/rand"
	"maps"
	"slices"
	"strings"
)

// NodeOf returns the node ID part of a port ID ("node#port" -> "node"),
// or the argument itself when it is a node ID (Perl's node_of).
func NodeOf(portID string) string {
	n, _, _ := strings.Cut(portID, "#")
	return n
}

// splitPort splits a port ID into node ID and port name, as Perl's
// `split /#/, $port, 2` does: a node ID alone has the empty port name,
// which is the node port.
func splitPort(portID string) (nodeID, port string) {
	// IndexByte rather than Cut, which looks for a string: on every Snd
	if i := strings.IndexByte(portID, '#'); i >= 0 {
		return portID[:i], portID[i+1:]
	}
	return portID, ""
}

// alnum is Kernel.pm's @alnum: digits, upper case, lower case.
const alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// nonce62 returns n random characters of alnum (Kernel.pm's nonce62).
func nonce62(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		// 256 % 62 leaves a slight bias, as Perl's `rand 62` has its own;
		// these are names, not keys.
		b[i] = alnum[int(b[i])%62]
	}
	return string(b)
}

// newRUNIQ makes the 10-character name prefix for ports this node creates
// on other nodes (spawn). Kernel.pm upper-cases the last character so that
// it can never equal a $UNIQ-based local name, which is one shorter.
func newRUNIQ() string {
	r := []byte(nonce62(10))
	if c := r[9]; c >= 'a' && c <= 'z' {
		r[9] = c - 'a' + 'A'
	}
	return string(r)
}

// perlIncr is Perl's magic string increment ("a"++ is "b", "z"++ is "aa",
// "Az"++ is "Ba", "zz"++ is "aaa"), which Kernel.pm uses for $ID and the
// global request ids.
func perlIncr(s string) string {
	b := []byte(s)
	for i := len(b) - 1; i >= 0; i-- {
		switch c := b[i]; {
		case c == 'z':
			b[i] = 'a'
		case c == 'Z':
			b[i] = 'A'
		case c == '9':
			b[i] = '0'
		default:
			b[i]++
			return string(b)
		}
	}
	// every position wrapped: prepend the first character's "one"
	first := byte('a')
	switch c := s[0]; {
	case c >= 'A' && c <= 'Z':
		first = 'A'
	case c >= '0' && c <= '9':
		first = '1'
	}
	return string(first) + string(b)
}

// sortedKeys returns a map's keys in order, so that everything the node
// sends or calls back about a map happens in a reproducible order (Perl
// uses its random hash order).
func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
