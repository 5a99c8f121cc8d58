package protocol

import "fmt"

// Encoder appends messages in one framing, byte for byte as AppendJSON or
// AppendCBOR does, for a stream that sends many messages: it remembers
// how the last message began (its port and tag, encoded) and writes the
// next one that begins the same way by copying those bytes. A stream of
// messages to one port with one tag, the usual AEMP traffic, then costs
// the encoding of its arguments only: two short compares and a copy
// instead of checking every byte of the port and tag.
//
// An Encoder is not safe for concurrent use; a connection keeps one under
// its lock.
type Encoder struct {
	cbor bool
	last encodedPrefix
}

// NewEncoder returns an encoder for framing.
func NewEncoder(framing string) (*Encoder, error) {
	switch framing {
	case FramingJSON:
		return &Encoder{}, nil
	case FramingCBOR:
		return &Encoder{cbor: true}, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoCommonFraming, framing)
}

// Append appends m to dst. A message whose first element is not a
// non-empty string (a tag) is written by AppendJSON or AppendCBOR.
func (e *Encoder) Append(dst []byte, m Message) ([]byte, error) {
	tag, ok := firstTag(m.Data)
	if !ok {
		if e.cbor {
			return AppendCBOR(dst, m)
		}
		return AppendJSON(dst, m)
	}
	if e.cbor {
		dst = cborHead(dst, cborArray, uint64(1+len(m.Data)))
	} else {
		dst = append(dst, '[')
	}
	if e.last.is(m.Port, tag) {
		dst = append(dst, e.last.enc[:e.last.encLen]...)
	} else {
		start := len(dst)
		dst = e.appendPortTag(dst, m.Port, tag)
		e.last.remember(m.Port, tag, dst[start:])
	}
	if e.cbor {
		return appendCBORElements(dst, m.Data[1:])
	}
	return appendJSONElements(dst, m.Data[1:])
}

// appendPortTag writes the port and the tag as the framing's encoder
// does: the bytes between the array's head and the first argument.
func (e *Encoder) appendPortTag(dst []byte, port, tag string) []byte {
	if e.cbor {
		return appendCBORString(appendCBORString(dst, port), tag)
	}
	return appendJSONString(append(appendJSONString(dst, port), ','), tag)
}

// encodedPrefix is the port and tag of the last message an Encoder wrote,
// as given (raw) and as encoded. Both are copies in fixed arrays, so
// remembering allocates nothing and keeps none of the caller's memory
// alive, and a stream whose prefix changes every message costs a copy of
// a few bytes per message, never an allocation. (Keeping the strings
// themselves would let a repeated string compare by its pointer, but the
// compiler then lets every Snd's argument list escape to the heap: an
// allocation per message.)
type encodedPrefix struct {
	raw             [maxEncodedPrefix]byte // the port, then the tag
	enc             [maxEncodedPrefix]byte
	portLen, tagLen int
	encLen          int // 0: nothing remembered
}

// maxEncodedPrefix bounds what an Encoder remembers: a port and tag whose
// raw or encoded form is longer are encoded every time.
const maxEncodedPrefix = 96

// is reports whether port and tag are the remembered ones.
func (p *encodedPrefix) is(port, tag string) bool {
	return p.encLen > 0 && len(port) == p.portLen && len(tag) == p.tagLen &&
		string(p.raw[:p.portLen]) == port && string(p.raw[p.portLen:p.portLen+p.tagLen]) == tag
}

// remember keeps port and tag and their encoding enc, when they fit.
func (p *encodedPrefix) remember(port, tag string, enc []byte) {
	if len(port)+len(tag) > maxEncodedPrefix || len(enc) > maxEncodedPrefix {
		p.encLen = 0
		return
	}
	copy(p.raw[:], port)
	copy(p.raw[len(port):], tag)
	p.portLen, p.tagLen = len(port), len(tag)
	p.encLen = copy(p.enc[:], enc)
}
