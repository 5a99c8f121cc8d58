package protocol

import (
	"encoding/binary"
	"math/bits"
)

// stringCache hands out the boxed strings of short strings that recur, so
// that the tags and names messages keep repeating ("ok", "db_set", a
// reply port) cost neither a copy nor a box per message. A string is
// admitted only when it hashes to the slot that the string before it in
// that slot hashed to, so a stream of distinct strings allocates nothing
// here and pays only the hash; recurring ones are found after their second
// sighting. Entries are strings and boxes of their own, never in a chunk,
// which they would keep alive. The cache is per decoder, so it needs no
// lock; its size is fixed (stringCacheSize slots, strings of at most
// maxInternedString bytes).
type stringCache [stringCacheSize]internSlot

type internSlot struct {
	s    string
	box  any
	seen uint64 // hash of the last string that missed this slot
}

const (
	stringCacheSize   = 32 // a power of two
	maxInternedString = 16
)

// lookup returns the box of b if the cache holds b, admitting b when it
// was the last miss of its slot; !ok means the caller boxes b itself.
func (c *stringCache) lookup(b []byte) (any, bool) {
	h := shortHash(b)
	slot := &c[h&(stringCacheSize-1)]
	if slot.s == string(b) { // compared without converting; b is never empty, so the slot is filled
		return slot.box, true
	}
	if slot.seen != h {
		slot.seen = h
		return nil, false
	}
	slot.s = string(b)
	slot.box = slot.s
	return slot.box, true
}

// shortHash mixes every byte of b (1 to 16 bytes) into a 64-bit hash:
// two overlapping loads cover any length up to twice their size.
func shortHash(b []byte) uint64 {
	n := len(b)
	var x uint64
	switch {
	case n >= 8:
		x = binary.LittleEndian.Uint64(b) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(b[n-8:])*0x9e3779b97f4a7c15, 31)
	case n >= 4:
		x = uint64(binary.LittleEndian.Uint32(b)) | uint64(binary.LittleEndian.Uint32(b[n-4:]))<<32
	default:
		x = uint64(b[0]) | uint64(b[n/2])<<8 | uint64(b[n-1])<<16
	}
	x = (x ^ uint64(n)) * 0xbf58476d1ce4e5b9
	return x ^ x>>31
}
