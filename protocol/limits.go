package protocol

import (
	"errors"
	"fmt"
	"math"
)

// Defaults for DecodeLimits.
const (
	// DefaultMaxMessageBytes bounds one message on the wire. Perl has no
	// such limit (CBOR::XS and JSON::XS take whatever arrives); AEMP
	// messages are small, so 16 MiB only refuses what no sane peer sends.
	DefaultMaxMessageBytes = 16 << 20
	// DefaultMaxDepth bounds nesting of arrays, maps (and CBOR tags and
	// indefinite-length strings), as JSON::XS and CBOR::XS do with their
	// max_depth default of 512.
	DefaultMaxDepth = 512
)

// DecodeLimits bounds what a stream decoder accepts from a peer. Zero
// fields take the defaults.
type DecodeLimits struct {
	// MaxMessageBytes is the largest message (one frame on the wire) the
	// decoder buffers; a longer one fails with a *MessageTooLargeError
	// before more than MaxMessageBytes plus one read is held. At most
	// 2 GiB.
	MaxMessageBytes int
	// MaxDepth is the deepest nesting accepted; deeper fails with an
	// error wrapping ErrBadFrame.
	MaxDepth int
}

func (l DecodeLimits) withDefaults() DecodeLimits {
	if l.MaxMessageBytes <= 0 {
		l.MaxMessageBytes = DefaultMaxMessageBytes
	}
	l.MaxMessageBytes = min(l.MaxMessageBytes, math.MaxInt32) // buffer sizes stay far from overflow
	if l.MaxDepth <= 0 {
		l.MaxDepth = DefaultMaxDepth
	}
	return l
}

// ErrMessageTooLarge is wrapped by every *MessageTooLargeError.
var ErrMessageTooLarge = errors.New("message too large")

// MessageTooLargeError says that a peer sent (or announced, with a CBOR
// length header) a message longer than DecodeLimits.MaxMessageBytes. Size
// is what was seen when the decoder gave up: the bytes of the frame read so
// far, or the length a header declared, so the message is at least that
// long.
type MessageTooLargeError struct {
	Size, Limit int64
}

func (e *MessageTooLargeError) Error() string {
	return fmt.Sprintf("message too large: at least %d bytes, limit %d bytes", e.Size, e.Limit)
}

func (e *MessageTooLargeError) Unwrap() error { return ErrMessageTooLarge }

// errTooDeep is wrapped (with ErrBadFrame) when nesting passes MaxDepth.
var errTooDeep = errors.New("nesting too deep")

func tooDeep(limit int) error {
	return fmt.Errorf("%w: %w (limit %d)", ErrBadFrame, errTooDeep, limit)
}
