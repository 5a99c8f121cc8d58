package protocol

// prefixCache remembers how the last message began: its bytes from the
// start of the frame up to the end of its first element, when that
// element is a short string (the tag: AEMP messages are [port, tag,
// args...]), and what those bytes decode to, the destination port and
// the tag's box. A stream of messages to one port with one tag, which is
// what most AEMP traffic is, then costs one comparison of those bytes per
// message instead of parsing the port and the tag.
//
// Only what is its own allocation is remembered: the port from the port
// cache, the tag's box from the string cache, never chunk memory they
// would pin. A message that begins differently is parsed in full and may
// replace the entry, if its port and tag qualify. Looking at a message
// for that costs more than a match saves, so the looks back off (see
// miss): a stream whose messages alternate, or all begin differently,
// soon pays little more than the failed comparison.
type prefixCache struct {
	b    [maxPrefix]byte
	n    int // the length of the prefix in b; 0: empty
	port string
	tag  any

	// CBOR: the array's element count (port included) and the length
	// of its head, which the prefix begins with
	count, headLen int

	hits    int // matches since the last look, counted up to prefixPaidHits
	backoff int // doublings of the wait between looks
	skip    int // misses still to wait
}

const (
	maxPrefixBackoff = 6
	prefixPaidHits   = 4
)

// maxPrefix bounds a remembered prefix: a port up to maxCachedPort
// bytes, a tag up to maxInternedString bytes and the punctuation around
// them in either framing.
const maxPrefix = maxCachedPort + maxInternedString + 16

// match reports whether b begins with the remembered prefix.
func (pc *prefixCache) match(b []byte) bool {
	if pc.n > 0 && len(b) > pc.n && string(b[:pc.n]) == string(pc.b[:pc.n]) {
		if pc.hits < prefixPaidHits {
			pc.hits++
		}
		return true
	}
	return false
}

// miss counts a message that did not match, and reports whether to look
// at it to replace the entry. Between two looks the entry must have
// matched prefixPaidHits times (saved more than a look costs), or the
// next look waits for twice as many misses, up to maxPrefixBackoff
// doublings.
func (pc *prefixCache) miss() bool {
	if pc.skip > 0 {
		pc.skip--
		return false
	}
	if pc.hits < prefixPaidHits {
		pc.backoff = min(pc.backoff+1, maxPrefixBackoff)
	} else {
		pc.backoff = 0
	}
	pc.skip = 1<<pc.backoff - 1
	pc.hits = 0
	return true
}

// firstTag returns a message's tag: the first element of its data, if
// that is a non-empty string.
func firstTag(data []any) (string, bool) {
	if len(data) == 0 {
		return "", false
	}
	tag, ok := data[0].(string)
	return tag, ok && tag != ""
}

// remember replaces the entry with prefix, which decodes to port and a
// tag whose wire bytes (checked by the codec to be the tag itself) are
// tag, if the string cache sc holds the tag: its box there is an
// allocation of its own, which the entry may keep. It reports whether it
// replaced the entry.
func (pc *prefixCache) remember(sc *stringCache, prefix, tag []byte, port string) bool {
	if sc == nil || len(prefix) > maxPrefix {
		return false
	}
	box, ok := sc.cached(tag)
	if !ok {
		return false
	}
	pc.n = copy(pc.b[:], prefix)
	pc.port, pc.tag = port, box
	return true
}

// cached returns the string cache's box of b, if the cache holds b; it
// admits nothing.
func (c *stringCache) cached(b []byte) (any, bool) {
	if len(b) == 0 || len(b) > maxInternedString {
		return nil, false
	}
	slot := &c[shortHash(b)&(stringCacheSize-1)]
	if slot.s != string(b) {
		return nil, false
	}
	return slot.box, true
}
