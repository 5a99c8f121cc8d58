package protocol

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// JSONDecoder reads concatenated JSON arrays from a stream, the way Perl's
// JSON::XS incr_parse does: any split of the bytes across reads is fine,
// white space between messages is skipped. It decodes straight from its
// read buffer into the value model.
//
// Strings follow goccy/go-json (and encoding/json), which aemp-go used
// before: invalid UTF-8 bytes and unpaired \u surrogates become U+FFFD.
// JSON::XS would refuse such a message instead; JSON::XS never writes one.
type JSONDecoder struct {
	stream
	c jsonCodec
}

// NewJSONDecoder returns a decoder reading from r with default limits.
func NewJSONDecoder(r io.Reader) *JSONDecoder { return newJSONDecoder(r, DecodeLimits{}) }

func newJSONDecoder(r io.Reader, lim DecodeLimits) *JSONDecoder {
	d := &JSONDecoder{}
	d.stream = stream{r: r, lim: lim.withDefaults(), codec: &d.c, alloc: &d.c.a}
	d.c.a.scratch = &d.c.stack
	d.c.maxDepth = d.lim.MaxDepth
	return d
}

// jsonCodec parses JSON frames; its fields are reused from frame to frame.
type jsonCodec struct {
	a        valueAlloc
	maxDepth int
	stack    []any  // elements of the arrays being parsed
	tmp      []byte // unescaped string bytes
	lead     int    // white space before the frame last parsed
	prefix   prefixCache

	// scan state, see scan
	sOff             int
	sDepth           int
	sStarted, sInStr bool
	sEsc             bool
}

func (c *jsonCodec) leading() int { return c.lead }

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func jsonError(format string, args ...any) error {
	return fmt.Errorf("%w: json: "+format, append([]any{ErrBadFrame}, args...)...)
}

// scan finds the end of the array at the start of b by counting brackets
// outside strings; parse checks everything else.
func (c *jsonCodec) scan(b []byte) (n, skip int, err error) {
	i := c.sOff
	if !c.sStarted {
		for i < len(b) && isJSONSpace(b[i]) {
			i++
		}
		skip, b, i = i, b[i:], 0
		if len(b) == 0 {
			return 0, skip, nil
		}
		if b[0] != '[' {
			return 0, skip, jsonError("invalid character %q looking for the beginning of a message", b[0])
		}
		c.sStarted = true
	}
	depth, inStr, esc := c.sDepth, c.sInStr, c.sEsc
	for ; i < len(b); i++ {
		ch := b[i]
		if inStr {
			switch {
			case esc:
				esc = false
			case ch == '\\':
				esc = true
			case ch == '"':
				inStr = false
			}
			continue
		}
		switch ch {
		case '"':
			inStr = true
		case '[', '{':
			if depth++; depth > c.maxDepth {
				return 0, skip, tooDeep(c.maxDepth)
			}
		case ']', '}':
			if depth--; depth == 0 {
				c.resetScan()
				return i + 1, skip, nil
			}
		}
	}
	c.sOff, c.sDepth, c.sInStr, c.sEsc = i, depth, inStr, esc
	return 0, skip, nil
}

func (c *jsonCodec) resetScan() {
	if c.sStarted {
		c.sOff, c.sDepth, c.sStarted, c.sInStr, c.sEsc = 0, 0, false, false, false
	}
	trimScratch(&c.stack, &c.tmp)
}

// jsonParser is a recursive-descent parser over one frame (or everything
// buffered). Running into the end of b is errIncomplete.
type jsonParser struct {
	c *jsonCodec
	b []byte
	i int
}

func (c *jsonCodec) parse(b []byte, complete bool, m *Message) (int, error) {
	p := jsonParser{c: c, b: b}
	var err error
	if pc := &c.prefix; c.maxDepth >= 1 && pc.match(b) {
		// a message that begins as the last one did, as a stream's
		// messages do: its port and tag from the cache. A remembered
		// prefix begins with '[' (and JSON::XS writes no white space
		// before it), so message's checks are passed.
		c.lead, p.i = 0, pc.n
		var data []any
		data, err = p.data(pc.tag)
		m.Port, m.Data = pc.port, data
	} else {
		p.ws()
		c.lead = p.i
		err = p.message(m)
	}
	if err == errIncomplete && complete {
		err = jsonError("message ends early")
	}
	return p.i, err
}

func (p *jsonParser) ws() {
	for p.i < len(p.b) && isJSONSpace(p.b[p.i]) {
		p.i++
	}
}

// peek skips white space and returns the next byte.
func (p *jsonParser) peek() (byte, error) {
	if p.i < len(p.b) && p.b[p.i] > ' ' { // no white space: JSON::XS writes none
		return p.b[p.i], nil
	}
	p.ws()
	if p.i == len(p.b) {
		return 0, errIncomplete
	}
	return p.b[p.i], nil
}

func (p *jsonParser) unexpected(where string) error {
	return jsonError("invalid character %q %s at offset %d", p.b[p.i], where, p.i)
}

// message parses the top-level array into a Message: the port straight
// into Message.Port, the other elements into Data.
func (p *jsonParser) message(m *Message) error {
	ch, err := p.peek()
	if err != nil {
		return err
	}
	if ch != '[' {
		return p.unexpected("looking for the beginning of a message")
	}
	if p.c.maxDepth < 1 {
		return tooDeep(p.c.maxDepth)
	}
	start := p.i // a match of the prefix cache was taken by parse
	p.i++
	if ch, err = p.peek(); err != nil {
		return err
	}
	var port string
	switch ch {
	case ']':
		return jsonError("empty array has no destination port")
	case '"':
		if port, err = p.port(); err != nil {
			return err
		}
	default:
		v, err := p.value(1)
		if err != nil {
			return err
		}
		var ok bool
		if port, ok = PerlString(v); !ok {
			return jsonError("destination port is %T, not a string", v)
		}
	}
	portEnd := p.i
	data, err := p.data(nil)
	m.Port, m.Data = port, data
	if err == nil && p.c.prefix.miss() {
		p.notePrefix(start, portEnd, port, data)
	}
	return err
}

// notePrefix remembers the message at start as the prefix cache's entry
// if it is `["port","tag"` followed by ',' or ']', both strings as they
// are on the wire (no escapes, no white space), the tag in the string
// cache.
func (p *jsonParser) notePrefix(start, portEnd int, port string, data []any) {
	tag, ok := firstTag(data)
	if !ok {
		return
	}
	b := p.b[start:]
	pe := portEnd - start
	te := pe + 2 + len(tag) // the tag's closing quote
	if pe != len(port)+3 || b[1] != '"' || string(b[2:pe-1]) != port ||
		te >= len(b) || b[pe] != ',' || b[pe+1] != '"' || string(b[pe+2:te]) != tag || b[te] != '"' {
		return
	}
	p.c.prefix.remember(p.c.a.strings, b[:te+1], b[pe+2:te], port)
}

// data parses the elements after the port up to the closing bracket
// straight into the allocator's top chunk; first, if not nil, is the
// first element, already parsed (the prefix cache's tag).
//
// The elements AEMP messages mostly carry, plain ASCII strings and short
// non-negative integers, are parsed here, with the position in a local
// variable; anything else, and white space, goes through value and peek,
// which keep it in p.i. The two paths decode the same bytes to the same
// values: the fast cases are those value's own first checks take.
func (p *jsonParser) data(first any) ([]any, error) {
	a := &p.c.a
	a.beginTop()
	if first != nil {
		a.pushTop(first)
	}
	b, i := p.b, p.i
	for {
		if i >= len(b) || b[i] <= ' ' {
			p.i = i
			if _, err := p.peek(); err != nil {
				a.abortTop()
				return nil, err
			}
			i = p.i
		}
		switch b[i] {
		case ']':
			p.i = i + 1
			return a.endTop(), nil
		case ',':
			i++
			if i < len(b) {
				if c := b[i]; c == '"' {
					if j := plainRun(b, i+1); j < len(b) && b[j] == '"' {
						a.pushTop(a.boxBytes(b[i+1 : j]))
						i = j + 1
						continue
					}
				} else if v, k, ok := shortInt(b, i); ok {
					a.pushTop(a.boxInt(v))
					i = k
					continue
				}
			}
			p.i = i
			v, err := p.value(1)
			if err != nil {
				a.abortTop()
				return nil, err
			}
			a.pushTop(v)
			i = p.i
		default:
			p.i = i
			a.abortTop()
			return nil, p.unexpected("after array element")
		}
	}
}

// shortInt parses the common number: a non-negative integer of at most 15
// digits, not starting with 0, ended by ',' or ']', at b[i:], with room
// after it (so that no bounds decide where it ends); k is the index of
// the byte after it. Anything else is for number.
func shortInt(b []byte, i int) (v int64, k int, ok bool) {
	if i+16 >= len(b) || b[i] < '1' || b[i] > '9' {
		return 0, 0, false
	}
	for k = i; k < i+15 && b[k] >= '0' && b[k] <= '9'; k++ {
		v = v*10 + int64(b[k]-'0')
	}
	if b[k] == ',' || b[k] == ']' {
		return v, k, true
	}
	return 0, 0, false
}

// elements parses the rest of an array up to and including the closing
// bracket; c.stack[base:] holds the elements parsed before.
func (p *jsonParser) elements(depth, base int) ([]any, error) {
	err := p.moreElements(depth)
	return p.c.a.popArray(&p.c.stack, base, err)
}

func (p *jsonParser) moreElements(depth int) error {
	for {
		ch, err := p.peek()
		if err != nil {
			return err
		}
		switch ch {
		case ']':
			p.i++
			return nil
		case ',':
			p.i++
			v, err := p.value(depth)
			if err != nil {
				return err
			}
			p.c.stack = pushValue(p.c.stack, v)
		default:
			return p.unexpected("after array element")
		}
	}
}

// value parses one value inside a container at depth.
func (p *jsonParser) value(depth int) (any, error) {
	ch, err := p.peek()
	if err != nil {
		return nil, err
	}
	switch {
	case ch == '"':
		b, err := p.stringBytes()
		if err != nil {
			return nil, err
		}
		return p.c.a.boxBytes(b), nil
	case ch == '-' || ch >= '0' && ch <= '9':
		return p.number()
	case ch == '[':
		return p.array(depth + 1)
	case ch == '{':
		return p.object(depth + 1)
	case ch == 't':
		return true, p.literal("true")
	case ch == 'f':
		return false, p.literal("false")
	case ch == 'n':
		return nil, p.literal("null")
	}
	return nil, p.unexpected("looking for the beginning of a value")
}

func (p *jsonParser) literal(lit string) error {
	for k := 0; k < len(lit); k++ {
		if p.i == len(p.b) {
			return errIncomplete
		}
		if p.b[p.i] != lit[k] {
			return p.unexpected("in literal " + lit)
		}
		p.i++
	}
	return nil
}

func (p *jsonParser) array(depth int) (any, error) {
	if depth > p.c.maxDepth {
		return nil, tooDeep(p.c.maxDepth)
	}
	p.i++ // '['
	ch, err := p.peek()
	if err != nil {
		return nil, err
	}
	if ch == ']' {
		p.i++
		return emptyArray, nil
	}
	v, err := p.value(depth)
	if err != nil {
		return nil, err
	}
	base := len(p.c.stack)
	p.c.stack = pushValue(p.c.stack, v)
	a, err := p.elements(depth, base)
	if err != nil {
		return nil, err
	}
	return p.c.a.boxArray(a), nil
}

func (p *jsonParser) object(depth int) (any, error) {
	if depth > p.c.maxDepth {
		return nil, tooDeep(p.c.maxDepth)
	}
	p.i++ // '{'
	m := map[string]any{}
	ch, err := p.peek()
	if err != nil {
		return nil, err
	}
	if ch == '}' {
		p.i++
		return m, nil
	}
	for {
		if ch != '"' {
			return nil, p.unexpected("looking for the beginning of an object key")
		}
		k, err := p.string()
		if err != nil {
			return nil, err
		}
		if ch, err = p.peek(); err != nil {
			return nil, err
		}
		if ch != ':' {
			return nil, p.unexpected("after object key")
		}
		p.i++
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		m[k] = v
		if ch, err = p.peek(); err != nil {
			return nil, err
		}
		p.i++
		switch ch {
		case '}':
			return m, nil
		case ',':
			if ch, err = p.peek(); err != nil {
				return nil, err
			}
		default:
			p.i--
			return nil, p.unexpected("after object value")
		}
	}
}

// number parses a JSON number and applies ParseNumber's rules.
func (p *jsonParser) number() (any, error) {
	// the common case first (inside arrays and objects; data does it
	// itself for the message's own elements)
	if v, k, ok := shortInt(p.b, p.i); ok {
		p.i = k
		return p.c.a.boxInt(v), nil
	}
	b, start := p.b, p.i
	i := start
	neg := b[i] == '-'
	if neg {
		i++
	}
	digits := func() (int, error) { // at least one digit
		n := 0
		for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
			n++
		}
		if i == len(b) {
			return n, errIncomplete
		}
		if n == 0 {
			p.i = i
			return 0, p.unexpected("in numeric literal")
		}
		return n, nil
	}
	if i == len(b) {
		return nil, errIncomplete
	}
	intDigits := 1
	if b[i] == '0' {
		i++
	} else {
		var err error
		if intDigits, err = digits(); err != nil {
			return nil, err
		}
	}
	if i == len(b) {
		return nil, errIncomplete
	}
	integer := true
	if b[i] == '.' {
		integer = false
		i++
		if _, err := digits(); err != nil {
			return nil, err
		}
	}
	if b[i] == 'e' || b[i] == 'E' {
		integer = false
		i++
		if i == len(b) {
			return nil, errIncomplete
		}
		if b[i] == '+' || b[i] == '-' {
			i++
		}
		if _, err := digits(); err != nil {
			return nil, err
		}
	}
	p.i = i
	if integer && intDigits <= 18 {
		var v int64
		for _, d := range b[start:i] {
			if d != '-' {
				v = v*10 + int64(d-'0')
			}
		}
		if neg {
			v = -v
		}
		return p.c.a.boxInt(v), nil
	}
	return parseNumberBytes(&p.c.a, b[start:i]), nil
}

// parseNumberBytes is ParseNumber on bytes that are a valid JSON number,
// without copying them.
func parseNumberBytes(a *valueAlloc, b []byte) any {
	s := unsafe.String(unsafe.SliceData(b), len(b)) // not kept
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return a.boxInt(i)
	}
	if u, err := strconv.ParseUint(s, 10, 64); err == nil {
		return u
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !math.IsInf(f, 0) {
		return string(b) // as ParseNumber; cannot happen for a valid number
	}
	return a.boxFloat(f)
}

// port parses the destination port, a string, through the port cache.
func (p *jsonParser) port() (string, error) {
	b := p.b
	start := p.i + 1
	switch j := plainRun(b, start); {
	case j == len(b):
		return "", errIncomplete
	case b[j] == '"':
		p.i = j + 1
		return p.c.a.ports.port(b[start:j]), nil
	}
	return p.string() // escapes or non-ASCII: as any string
}

// string parses a JSON string into the value allocator.
func (p *jsonParser) string() (string, error) {
	b, err := p.stringBytes()
	if err != nil {
		return "", err
	}
	return p.c.a.string(b), nil
}

// stringBytes parses a JSON string; the bytes are valid until the next
// call (straight from the read buffer, or unescaped into c.tmp). Plain
// ASCII is skipped eight bytes at a time.
func (p *jsonParser) stringBytes() ([]byte, error) {
	b := p.b
	start := p.i + 1
	j := plainRun(b, start)
	if j < len(b) && b[j] == '"' {
		p.i = j + 1
		return b[start:j], nil
	}
	ascii := true
	for ; j < len(b); j++ {
		ch := b[j]
		if jsonPlain[ch] {
			continue
		}
		switch {
		case ch == '"':
			s := b[start:j]
			if !ascii && !utf8.Valid(s) {
				return p.slowString(start)
			}
			p.i = j + 1
			return s, nil
		case ch == '\\' || ch < 0x20:
			return p.slowString(start)
		}
		ascii = false
	}
	return nil, errIncomplete
}

// jsonPlain marks the bytes a string can hold as they are: printable
// ASCII other than '"' and '\\'.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < 0x80; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// slowString unescapes a string the way encoding/json (and goccy/go-json)
// do: invalid UTF-8 bytes and unpaired surrogates become U+FFFD.
func (p *jsonParser) slowString(j int) ([]byte, error) {
	b := p.b
	out := p.c.tmp[:0]
	defer func() { p.c.tmp = out[:0] }()
	for j < len(b) {
		ch := b[j]
		switch {
		case ch == '"':
			p.i = j + 1
			return out, nil
		case ch < 0x20:
			p.i = j
			return nil, p.unexpected("in string literal")
		case ch < 0x80 && ch != '\\':
			out = append(out, ch)
			j++
		case ch != '\\':
			r, size := utf8.DecodeRune(b[j:])
			if r == utf8.RuneError && size == 1 && !utf8.FullRune(b[j:]) && j+4 > len(b) {
				return nil, errIncomplete // a character split by the end of the buffer
			}
			out = utf8.AppendRune(out, r)
			j += size
		default:
			if j+1 == len(b) {
				return nil, errIncomplete
			}
			esc := b[j+1]
			j += 2
			switch esc {
			case '"', '\\', '/':
				out = append(out, esc)
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r, err := p.hex4(j)
				if err != nil {
					return nil, err
				}
				j += 4
				if utf16.IsSurrogate(r) {
					// A pair only if another \uXXXX follows that completes
					// it; otherwise U+FFFD and the next escape stands alone.
					if len(b)-j < 6 && p.couldBeEscape(b[j:]) {
						return nil, errIncomplete
					}
					r2 := rune(-1)
					if len(b)-j >= 6 && b[j] == '\\' && b[j+1] == 'u' {
						if v, err := p.hex4(j + 2); err == nil {
							r2 = v
						}
					}
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						r = d
						j += 6
					} else {
						r = utf8.RuneError
					}
				}
				out = utf8.AppendRune(out, r)
			default:
				p.i = j - 1
				return nil, p.unexpected("in string escape code")
			}
		}
	}
	return nil, errIncomplete
}

// couldBeEscape reports whether b (shorter than six bytes, at the end of
// the buffer) may be the start of a \uXXXX escape.
func (p *jsonParser) couldBeEscape(b []byte) bool {
	const pat = `\u`
	for k := 0; k < len(b); k++ {
		if k < 2 {
			if b[k] != pat[k] {
				return false
			}
		} else if unhex(b[k]) < 0 {
			return false
		}
	}
	return true
}

func unhex(c byte) rune {
	switch {
	case c >= '0' && c <= '9':
		return rune(c - '0')
	case c >= 'a' && c <= 'f':
		return rune(c - 'a' + 10)
	case c >= 'A' && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// hex4 reads the four hex digits of a \u escape at b[j:].
func (p *jsonParser) hex4(j int) (rune, error) {
	var r rune
	for k := j; k < j+4; k++ {
		if k >= len(p.b) {
			return 0, errIncomplete
		}
		h := unhex(p.b[k])
		if h < 0 {
			p.i = k
			return 0, p.unexpected("in \\u hexadecimal character escape")
		}
		r = r<<4 | h
	}
	return r, nil
}
