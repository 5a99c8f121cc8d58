package protocol

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
)

// CBORDecoder reads concatenated CBOR items from a stream (CBOR::XS
// incr_parse_multiple on the Perl side), each an array [port, data...],
// and decodes straight from its read buffer into the value model:
//
//   - byte and text strings become string (text is not checked for UTF-8,
//     CBOR::XS does not check it either); indefinite-length strings are
//     joined;
//   - unsigned integers are int64, or uint64 above its range; negative
//     integers below the int64 range and bignums (tags 2 and 3 on a byte
//     string) become float64;
//   - every tag decodes to its content, tags 0 and 1 (date/time) included:
//     CBOR::XS peers tag only Perl objects, which mean nothing here;
//   - float16 and float32 become float64; null, undefined and the simple
//     values other than false and true become nil;
//   - map keys are stringified as Perl stringifies hash keys (PerlString);
//     a key that is an array, a map or a bignum is an error; the last of
//     equal keys wins, as in a Perl hash.
type CBORDecoder struct {
	stream
	c cborCodec
}

// NewCBORDecoder returns a decoder reading from r with default limits.
func NewCBORDecoder(r io.Reader) *CBORDecoder { return newCBORDecoder(r, DecodeLimits{}) }

func newCBORDecoder(r io.Reader, lim DecodeLimits) *CBORDecoder {
	d := &CBORDecoder{}
	d.stream = stream{r: r, lim: lim.withDefaults(), codec: &d.c, alloc: &d.c.a}
	d.c.a.scratch = &d.c.stack
	d.c.maxDepth, d.c.maxBytes = d.lim.MaxDepth, d.lim.MaxMessageBytes
	return d
}

// DecodeCBORValue decodes one CBOR item into the value model (for tests
// and tools), with default limits.
func DecodeCBORValue(b []byte) (any, error) {
	lim := DecodeLimits{}.withDefaults()
	c := cborCodec{maxDepth: lim.MaxDepth, maxBytes: max(lim.MaxMessageBytes, len(b))}
	p := cborParser{c: &c, b: b, complete: true}
	v, err := p.value(0)
	if err == nil && p.i != len(b) {
		err = cborError("%d bytes after the item", len(b)-p.i)
	}
	if err == errIncomplete {
		err = cborError("item ends early")
	}
	return v, err
}

// cborIndef marks an indefinite-length item on the scan stack.
const cborIndef = math.MaxUint64

// cborCodec parses CBOR frames; its fields are reused from frame to frame.
type cborCodec struct {
	a        valueAlloc
	maxDepth int
	maxBytes int
	stack    []any  // elements of indefinite-length arrays being parsed
	tmp      []byte // chunks of indefinite-length strings
	prefix   prefixCache

	// scan state: offset reached and, per open container, the items
	// still to come (or cborIndef)
	sOff   int
	sStack []uint64
}

func cborError(format string, args ...any) error {
	return fmt.Errorf("%w: cbor: "+format, append([]any{ErrBadFrame}, args...)...)
}

// cborHeadAt decodes the item head at b[i:]: major type (0-7), additional
// information, its argument and the head's length; ok is false when b
// ends inside the head. Additional information 28-30 is returned as is
// for the caller to reject.
func cborHeadAt(b []byte, i int) (major, ai byte, arg uint64, n int, ok bool) {
	if i >= len(b) {
		return 0, 0, 0, 0, false
	}
	major, ai = b[i]>>5, b[i]&31
	switch {
	case ai < 24:
		return major, ai, uint64(ai), 1, true
	case ai == 24:
		if i+2 > len(b) {
			return 0, 0, 0, 0, false
		}
		return major, ai, uint64(b[i+1]), 2, true
	case ai == 25:
		if i+3 > len(b) {
			return 0, 0, 0, 0, false
		}
		return major, ai, uint64(binary.BigEndian.Uint16(b[i+1:])), 3, true
	case ai == 26:
		if i+5 > len(b) {
			return 0, 0, 0, 0, false
		}
		return major, ai, uint64(binary.BigEndian.Uint32(b[i+1:])), 5, true
	case ai == 27:
		if i+9 > len(b) {
			return 0, 0, 0, 0, false
		}
		return major, ai, binary.BigEndian.Uint64(b[i+1:]), 9, true
	}
	return major, ai, 0, 1, true
}

func badAI(major, ai byte) error {
	return cborError("invalid additional information %d for major type %d", ai, major)
}

// tooLarge is the error for an item at frame offset off (after its head)
// that declares n more bytes.
func (c *cborCodec) tooLarge(off int, n uint64) error {
	size := int64(math.MaxInt64)
	if n < math.MaxInt64-uint64(off) {
		size = int64(off) + int64(n)
	}
	return &MessageTooLargeError{Size: size, Limit: int64(c.maxBytes)}
}

// room is how many more bytes a frame may have after offset off.
func (c *cborCodec) room(off int) uint64 {
	if off >= c.maxBytes {
		return 0
	}
	return uint64(c.maxBytes - off)
}

// scan walks item heads, skipping string contents, with a stack of the
// items each open container still expects; the frame is complete when
// the stack empties. A declared length that cannot fit the size limit is
// refused at once, before its bytes are read.
func (c *cborCodec) scan(b []byte) (int, int, error) {
	i, st := c.sOff, c.sStack
	defer func() { c.sOff, c.sStack = i, st }()
	if i > 0 && len(st) == 0 { // the frame's last string was still arriving
		if i > len(b) {
			return 0, 0, nil
		}
		n := i
		i = 0
		return n, 0, nil
	}
	for i < len(b) {
		if b[i] == 0xff {
			if len(st) == 0 || st[len(st)-1] != cborIndef {
				return 0, 0, cborError("unexpected break")
			}
			st = st[:len(st)-1]
			i++
		} else {
			major, ai, arg, n, ok := cborHeadAt(b, i)
			if !ok {
				return 0, 0, nil
			}
			if ai >= 28 && ai <= 30 || ai == 31 && (major < 2 || major == 6) {
				return 0, 0, badAI(major, ai)
			}
			if len(st) > 0 && st[len(st)-1] != cborIndef {
				st[len(st)-1]--
			}
			i += n
			push := uint64(0)
			switch {
			case ai == 31:
				push = cborIndef
			case major == 2 || major == 3:
				if arg > c.room(i) {
					return 0, 0, c.tooLarge(i, arg)
				}
				i += int(arg) // may pass len(b): the string's bytes are still to come
			case major == 4:
				if arg > c.room(i) {
					return 0, 0, c.tooLarge(i, arg)
				}
				push = arg
			case major == 5:
				if arg > c.room(i)/2 {
					return 0, 0, c.tooLarge(i, 2*arg)
				}
				push = 2 * arg
			case major == 6:
				push = 1
			}
			if major >= 4 && major <= 6 || ai == 31 {
				if st = append(st, push); len(st) > c.maxDepth {
					return 0, 0, tooDeep(c.maxDepth)
				}
			}
		}
		for len(st) > 0 && st[len(st)-1] == 0 {
			st = st[:len(st)-1]
		}
		if len(st) == 0 {
			if i > len(b) {
				return 0, 0, nil // the last string is still arriving
			}
			n := i
			i, st = 0, st[:0]
			return n, 0, nil
		}
	}
	return 0, 0, nil
}

func (c *cborCodec) resetScan() {
	if c.sOff != 0 || len(c.sStack) != 0 {
		c.sOff, c.sStack = 0, c.sStack[:0]
	}
	if cap(c.sStack) > maxKeptStack {
		c.sStack = nil
	}
	trimScratch(&c.stack, &c.tmp)
}

func (c *cborCodec) leading() int { return 0 }

// cborParser decodes one frame (or everything buffered); running into the
// end of b is errIncomplete.
type cborParser struct {
	c        *cborCodec
	b        []byte
	i        int
	complete bool
}

func (c *cborCodec) parse(b []byte, complete bool, m *Message) (int, error) {
	p := cborParser{c: c, b: b, complete: complete}
	err := p.message(m)
	return p.i, err
}

// message decodes the top-level array (under any tags) into a Message.
func (p *cborParser) message(m *Message) error {
	start := p.i
	if pc := &p.c.prefix; pc.match(p.b[start:]) {
		// the array head is the remembered one: check its count as below
		if err := p.checkCount(uint64(pc.count), pc.headLen); err != nil {
			return err
		}
		p.i += pc.n
		a := p.c.a.array(pc.count - 1)
		a[0] = pc.tag
		data, err := p.elements(a, 1, 1)
		m.Port, m.Data = pc.port, data
		return err
	}
	depth := 1
	for {
		major, ai, _, n, ok := cborHeadAt(p.b, p.i)
		if !ok {
			return errIncomplete
		}
		if major == 4 && (ai < 28 || ai == 31) {
			break
		}
		if major != 6 {
			return cborError("top-level item of major type %d is not an array", major)
		}
		if ai >= 28 {
			return badAI(major, ai)
		}
		if depth++; depth > p.c.maxDepth {
			return tooDeep(p.c.maxDepth)
		}
		p.i += n
	}
	if depth > p.c.maxDepth {
		return tooDeep(p.c.maxDepth)
	}
	_, ai, count, n, _ := cborHeadAt(p.b, p.i)
	indefinite := ai == 31
	if !indefinite {
		if err := p.checkCount(count, n); err != nil {
			return err
		}
	}
	p.i += n
	if indefinite && p.i < len(p.b) && p.b[p.i] == 0xff || !indefinite && count == 0 {
		return cborError("empty array has no destination port")
	}
	port, err := p.port(depth)
	if err != nil {
		return err
	}
	var data []any
	if indefinite {
		data, err = p.indefiniteArray(depth)
	} else {
		portEnd := p.i
		data, err = p.definiteArray(int(count-1), depth)
		if err == nil && depth == 1 && p.c.prefix.miss() {
			p.notePrefix(start, n, portEnd, port, data)
		}
	}
	m.Port, m.Data = port, data
	return err
}

// notePrefix remembers the message at start as the prefix cache's entry
// if it is an untagged array with a head of headLen bytes, then the port
// and a tag that are strings as they are on the wire, in their shortest
// heads, the tag in the string cache.
func (p *cborParser) notePrefix(start, headLen, portEnd int, port string, data []any) {
	tag, ok := firstTag(data)
	if !ok {
		return
	}
	b := p.b[start:]
	pe := portEnd - start
	ps := headLen + stringHeadLen(b[headLen:], len(port)) // the port's bytes
	if ps == headLen || pe != ps+len(port) || string(b[ps:pe]) != port {
		return
	}
	te := pe + 1 + len(tag)
	if te > len(b) || stringHeadLen(b[pe:], len(tag)) != 1 || string(b[pe+1:te]) != tag {
		return
	}
	if p.c.prefix.remember(p.c.a.strings, b[:te], b[pe+1:te], port) {
		p.c.prefix.count, p.c.prefix.headLen = len(data)+1, headLen
	}
}

// stringHeadLen returns the length of the head at the start of b if it
// is the shortest head of a byte or text string of n bytes, up to 255,
// and 0 otherwise.
func stringHeadLen(b []byte, n int) int {
	if len(b) == 0 || b[0]>>5 != 2 && b[0]>>5 != 3 {
		return 0
	}
	switch ai := int(b[0] & 0x1f); {
	case n < 24 && ai == n:
		return 1
	case n >= 24 && n < 256 && ai == 24 && len(b) > 1 && int(b[1]) == n:
		return 2
	}
	return 0
}

// checkCount checks an element count against the size limit and what is
// buffered: every element takes at least one byte.
func (p *cborParser) checkCount(count uint64, headLen int) error {
	off := p.i + headLen
	if count > p.c.room(off) {
		return p.c.tooLarge(off, count)
	}
	if count > uint64(len(p.b)-off) {
		return p.incomplete()
	}
	return nil
}

func (p *cborParser) incomplete() error {
	if p.complete {
		return cborError("item ends early")
	}
	return errIncomplete
}

func (p *cborParser) definiteArray(n, depth int) ([]any, error) {
	return p.elements(p.c.a.array(n), 0, depth)
}

// elements decodes a[k:] of an array at depth.
func (p *cborParser) elements(a []any, k, depth int) ([]any, error) {
	for ; k < len(a); k++ {
		if v, ok := p.simple(); ok {
			a[k] = v
			continue
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		a[k] = v
	}
	return a, nil
}

// simple decodes the item at p.i if it is one of the kinds most message
// elements are, with its head in one or two bytes: an integer from -24 to
// 255, or a string of up to 255 bytes that is complete in the buffer and
// within the size limit. Anything else (and anything that would be an
// error) reports !ok, and value decodes it, as it would have all along.
func (p *cborParser) simple() (any, bool) {
	b, i := p.b, p.i
	if i+1 >= len(b) {
		return nil, false
	}
	h := b[i]
	switch {
	case h < 0x18: // unsigned 0..23
		p.i++
		return smallInts[int(h)-smallIntMin], true
	case h == 0x18: // unsigned, one byte
		p.i += 2
		return smallInts[int(b[i+1])-smallIntMin], true
	case h >= 0x20 && h < 0x38: // negative -1..-24
		p.i++
		return smallInts[-1-int(h-0x20)-smallIntMin], true
	}
	if s, ok := p.shortString(); ok {
		return p.c.a.boxBytes(s), true
	}
	return nil, false
}

// shortString returns the bytes of the byte or text string at p.i and
// moves past it if its head is one or two bytes (up to 255 bytes) and it
// is complete in the buffer and within the size limit; otherwise it
// reports !ok and leaves p.i, for the general decoder.
func (p *cborParser) shortString() ([]byte, bool) {
	b, i := p.b, p.i
	if i+1 >= len(b) {
		return nil, false
	}
	var n, off int
	switch h := b[i]; {
	case h >= 0x40 && h < 0x58, h >= 0x60 && h < 0x78: // byte or text string, length 0..23
		n, off = int(h&0x1f), i+1
	case h == 0x58 || h == 0x78: // length in one byte
		n, off = int(b[i+1]), i+2
	default:
		return nil, false
	}
	if n > len(b)-off || uint64(n) > p.c.room(off) {
		return nil, false
	}
	p.i = off + n
	return b[off:p.i], true
}

func (p *cborParser) indefiniteArray(depth int) ([]any, error) {
	base := len(p.c.stack)
	err := p.moreElements(depth)
	return p.c.a.popArray(&p.c.stack, base, err)
}

func (p *cborParser) moreElements(depth int) error {
	for {
		if p.i >= len(p.b) {
			return p.incomplete()
		}
		if p.b[p.i] == 0xff {
			p.i++
			return nil
		}
		v, err := p.value(depth)
		if err != nil {
			return err
		}
		p.c.stack = pushValue(p.c.stack, v)
	}
}

// bytes returns the content of the string item at p.i (major type 2 or
// 3), joining the chunks of an indefinite-length string in c.tmp; the
// result is valid until the next call.
func (p *cborParser) bytes(depth int) ([]byte, error) {
	major, ai, arg, n, ok := cborHeadAt(p.b, p.i)
	if !ok {
		return nil, p.incomplete()
	}
	if ai != 31 {
		return p.chunk(ai, arg, n)
	}
	if depth+1 > p.c.maxDepth {
		return nil, tooDeep(p.c.maxDepth)
	}
	p.i += n
	out := p.c.tmp[:0]
	defer func() { p.c.tmp = out[:0] }()
	for {
		if p.i >= len(p.b) {
			return nil, p.incomplete()
		}
		if p.b[p.i] == 0xff {
			p.i++
			return out, nil
		}
		m2, ai2, arg2, n2, ok := cborHeadAt(p.b, p.i)
		if !ok {
			return nil, p.incomplete()
		}
		if m2 != major || ai2 == 31 {
			return nil, cborError("chunk of major type %d (additional information %d) in an indefinite-length string of major type %d", m2, ai2, major)
		}
		b, err := p.chunk(ai2, arg2, n2)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
}

// chunk returns the bytes of a definite-length string whose head is at p.i.
func (p *cborParser) chunk(ai byte, arg uint64, n int) ([]byte, error) {
	if ai >= 28 {
		return nil, badAI(2, ai)
	}
	off := p.i + n
	if arg > p.c.room(off) {
		return nil, p.c.tooLarge(off, arg)
	}
	if arg > uint64(len(p.b)-off) {
		return nil, p.incomplete()
	}
	p.i = off + int(arg)
	return p.b[off:p.i], nil
}

// port decodes the destination port: a definite-length string through
// the port cache, anything else as a map key.
func (p *cborParser) port(depth int) (string, error) {
	if b, ok := p.shortString(); ok {
		return p.c.a.ports.port(b), nil
	}
	if p.i < len(p.b) {
		if major, ai := p.b[p.i]>>5, p.b[p.i]&31; (major == 2 || major == 3) && ai != 31 {
			b, err := p.bytes(depth)
			if err != nil {
				return "", err
			}
			return p.c.a.ports.port(b), nil
		}
	}
	return p.key(depth)
}

// key decodes a map key (or the destination port) as Perl stringifies it;
// strings, by far the most common, are not boxed.
func (p *cborParser) key(depth int) (string, error) {
	if p.i < len(p.b) {
		if major := p.b[p.i] >> 5; major == 2 || major == 3 {
			b, err := p.bytes(depth)
			if err != nil {
				return "", err
			}
			return p.c.a.string(b), nil
		}
	}
	v, err := p.value(depth)
	if err != nil {
		return "", err
	}
	s, ok := PerlString(v)
	if !ok {
		return "", cborError("map key or port of type %T", v)
	}
	return s, nil
}

// value decodes the item at p.i, inside a container at depth.
func (p *cborParser) value(depth int) (any, error) {
	major, ai, arg, n, ok := cborHeadAt(p.b, p.i)
	if !ok {
		return nil, p.incomplete()
	}
	if ai >= 28 && ai <= 30 || ai == 31 && (major < 2 || major == 6) {
		return nil, badAI(major, ai)
	}
	switch major {
	case 0:
		p.i += n
		return p.c.a.boxUint(arg), nil
	case 1:
		p.i += n
		if arg <= math.MaxInt64 {
			return p.c.a.boxInt(-1 - int64(arg)), nil
		}
		if arg == math.MaxUint64 {
			return -0x1p64, nil
		}
		return -float64(arg + 1), nil
	case 2, 3:
		b, err := p.bytes(depth)
		if err != nil {
			return nil, err
		}
		return p.c.a.boxBytes(b), nil
	case 4:
		if depth+1 > p.c.maxDepth {
			return nil, tooDeep(p.c.maxDepth)
		}
		var a []any
		var err error
		if ai == 31 {
			p.i += n
			a, err = p.indefiniteArray(depth + 1)
		} else if err = p.checkCount(arg, n); err == nil {
			p.i += n
			a, err = p.definiteArray(int(arg), depth+1)
		}
		if err != nil {
			return nil, err
		}
		return p.c.a.boxArray(a), nil
	case 5:
		return p.mapValue(ai, arg, n, depth+1)
	case 6:
		if depth+1 > p.c.maxDepth {
			return nil, tooDeep(p.c.maxDepth)
		}
		p.i += n
		if arg == 2 || arg == 3 {
			if p.i >= len(p.b) {
				return nil, p.incomplete()
			}
			if p.b[p.i]>>5 == 2 {
				b, err := p.bytes(depth + 1)
				if err != nil {
					return nil, err
				}
				return bignumFloat(b, arg == 3), nil
			}
		}
		return p.value(depth + 1)
	}
	// major 7
	p.i += n
	switch ai {
	case 20:
		return false, nil
	case 21:
		return true, nil
	case 24:
		if arg < 32 {
			return nil, cborError("invalid simple value %d", arg)
		}
	case 25:
		return p.c.a.boxFloat(float16to64(uint16(arg))), nil
	case 26:
		return p.c.a.boxFloat(float64(math.Float32frombits(uint32(arg)))), nil
	case 27:
		return p.c.a.boxFloat(math.Float64frombits(arg)), nil
	case 31:
		p.i -= n
		return nil, cborError("unexpected break")
	}
	return nil, nil // null, undefined, other simple values
}

func (p *cborParser) mapValue(ai byte, arg uint64, n, depth int) (any, error) {
	if depth > p.c.maxDepth {
		return nil, tooDeep(p.c.maxDepth)
	}
	indefinite := ai == 31
	if !indefinite {
		off := p.i + n
		if arg > p.c.room(off)/2 {
			return nil, p.c.tooLarge(off, 2*arg)
		}
		if arg > uint64(len(p.b)-off)/2 {
			return nil, p.incomplete()
		}
	}
	p.i += n
	// The size hint is capped: equal keys may make the map much smaller
	// than the count.
	m := make(map[string]any, min(arg, 8))
	for k := uint64(0); indefinite || k < arg; k++ {
		if indefinite {
			if p.i >= len(p.b) {
				return nil, p.incomplete()
			}
			if p.b[p.i] == 0xff {
				p.i++
				break
			}
		}
		if p.bigKey() {
			return nil, cborError("map key is a bignum")
		}
		key, err := p.key(depth)
		if err != nil {
			return nil, err
		}
		if indefinite && p.i < len(p.b) && p.b[p.i] == 0xff {
			return nil, cborError("map ends after a key")
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	return m, nil
}

// bigKey reports whether the item at p.i is, under any tags, a bignum or
// a negative integer below the int64 range. Such map keys are refused,
// as fxamacker/cbor refused them: a Perl hash key is a string, so no Perl
// peer sends one, and a float64 would not stringify as Perl prints the
// integer.
func (p *cborParser) bigKey() bool {
	for i := p.i; ; {
		major, _, arg, n, ok := cborHeadAt(p.b, i)
		switch {
		case !ok:
			return false
		case major == 1:
			return arg > math.MaxInt64
		case major == 6 && (arg == 2 || arg == 3):
			return i+n < len(p.b) && p.b[i+n]>>5 == 2
		case major == 6:
			i += n
		default:
			return false
		}
	}
}

// float16to64 converts an IEEE 754 half-precision value exactly.
func float16to64(h uint16) float64 {
	exp, mant := int(h>>10)&0x1f, float64(h&0x3ff)
	var f float64
	switch exp {
	case 0:
		f = math.Ldexp(mant, -24)
	case 31:
		f = math.Inf(1)
		if mant != 0 {
			f = math.NaN()
		}
	default:
		f = math.Ldexp(mant+1024, exp-25)
	}
	if h&0x8000 != 0 {
		f = -f
	}
	return f
}
