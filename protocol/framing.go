package protocol

import (
	"fmt"
	"io"
)

// Decoder reads messages of one framing from a stream.
type Decoder interface {
	// Decode returns the next message; see JSONDecoder and CBORDecoder.
	Decode() (Message, error)
	// Buffered returns how many bytes the decoder has read and not yet
	// decoded if they hold what the next Decode returns, and 0 when the
	// next Decode has to read from the stream.
	Buffered() int
	// DecodeBuffered decodes the next message if the bytes already read
	// hold it (or an error) and reports ok; it never reads.
	DecodeBuffered() (m Message, ok bool, err error)
	// DecodeInto and DecodeBufferedInto are Decode and DecodeBuffered
	// putting the message into *m (the zero Message when there is none),
	// which saves a connection reader a copy of every message per layer.
	DecodeInto(m *Message) error
	DecodeBufferedInto(m *Message) (ok bool, err error)
}

// NewStreamDecoder returns a stream decoder for framing that reads from r
// into its own buffer and enforces lim.
func NewStreamDecoder(framing string, r io.Reader, lim DecodeLimits) (Decoder, error) {
	switch framing {
	case FramingJSON:
		return newJSONDecoder(r, lim), nil
	case FramingCBOR:
		return newCBORDecoder(r, lim), nil
	}
	return nil, fmt.Errorf("%w: %q", ErrNoCommonFraming, framing)
}

// NewDecoder returns a stream decoder for framing with default limits.
func NewDecoder(framing string, r io.Reader) (Decoder, error) {
	return NewStreamDecoder(framing, r, DecodeLimits{})
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
