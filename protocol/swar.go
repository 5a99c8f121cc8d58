package protocol

import "math/bits"

// Word-at-a-time byte scans for the encoders and the JSON decoder: strings are almost always
// short plain ASCII, and checking eight bytes per step instead of one
// keeps their cost close to that of copying them.

const (
	loBits = 0x0101010101010101 // 0x01 in every byte
	hiBits = 0x8080808080808080 // 0x80 in every byte
)

// load64 returns s[i:i+8] as a little-endian word (one load: the compiler
// combines the byte reads), from a string (encoders) or bytes (decoder).
//
// Slicing first leaves one bounds check: indexing s[i+k] directly kept
// one per byte (i may be negative for all the compiler knows), eight
// compares and branches in every word of every scan.
func load64[T string | []byte](s T, i int) uint64 {
	w := s[i : i+8]
	return uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
}

// jsonSpecial flags, with the high bit of its byte, every byte of w that
// JSON must escape: below 0x20, '"' or '\'. A byte above (more
// significant than) a flagged byte may be flagged falsely, by a borrow, so
// only the lowest flag is exact; whether any byte is flagged is always
// exact. Bytes of 0x80 and above are never flagged themselves.
func jsonSpecial(w uint64) uint64 {
	lt := (w - loBits*0x20) &^ w        // bytes below 0x20
	q := w ^ (loBits * '"')             // zero where '"'
	b := w ^ (loBits * '\\')            // zero where '\'
	eq := (q-loBits)&^q | (b-loBits)&^b // zero bytes
	return (lt | eq) & hiBits
}

// plainRun returns the index of the first byte of b from i on that a JSON
// string cannot hold as it is (below 0x20, '"', '\\', or 0x80 and above),
// or len(b). The lowest flag of a word is exact (see jsonSpecial), so the
// byte is found without a byte loop.
func plainRun(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := notPlain(load64(b, i)); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && jsonPlain[b[i]] {
		i++
	}
	return i
}

// notPlain flags, with the high bit of its byte, every byte of w that is
// below 0x20, '"', '\\' or 0x80 and above; like jsonSpecial, only the
// lowest flag is exact (a borrow starts only at a flagged byte and may
// flag those above it). Flagging the high bytes too lets it skip the
// "and not w" of each zero-byte test: a subtraction that sets a high bit
// without a borrow needs a byte of 0x81 or above, which is flagged anyway.
func notPlain(w uint64) uint64 {
	lt := w - loBits*0x20           // borrows out of bytes below 0x20
	q := (w ^ loBits*'"') - loBits  // out of '"' bytes
	b := (w ^ loBits*'\\') - loBits // out of '\\' bytes
	return (lt | q | b | w) & hiBits
}

// isASCII reports whether s has no byte of 0x80 or above.
func isASCII(s string) bool {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if load64(s, i)&hiBits != 0 {
			return false
		}
	}
	for ; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
