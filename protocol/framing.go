package protocol

import (
	"fmt"
	"io"
)

// Framings lists the framings aemp-go can send and receive, in the order
// it prefers them (Perl's default list is cbor,json,storable; Storable is
// Perl's own serialisation and has no meaning outside Perl).
var Framings = []string{FramingCBOR, FramingJSON}

// Decoder reads messages of one framing from a stream.
type Decoder interface {
	Decode() (Message, error)
}

// NewDecoder returns a stream decoder for framing.
func NewDecoder(framing string, r io.Reader) (Decoder, error) {
	switch framing {
	case FramingJSON:
		return NewJSONDecoder(r), nil
	case FramingCBOR:
		return NewCBORDecoder(r), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoCommonFraming, framing)
}

// Appender returns the encoding function for framing.
func Appender(framing string) (func(dst []byte, m Message) ([]byte, error), error) {
	switch framing {
	case FramingJSON:
		return AppendJSON, nil
	case FramingCBOR:
		return AppendCBOR, nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoCommonFraming, framing)
}
