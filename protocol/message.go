package protocol

import (
	"fmt"
)

// Message is one AEMP packet: the array [port, data...] on the wire.
//
// Port is the destination port name within the receiving node (the part
// after "#"), "" for the node port. Data holds the message values, usually
// with a tag string first.
//
// Values use this model, which round-trips what Perl sends:
//
//	nil                        JSON null / CBOR null and undefined (Perl undef)
//	bool                       true/false (Perl's Types::Serialiser booleans)
//	int64, uint64              integers (uint64 only above math.MaxInt64)
//	float64                    floating point numbers
//	string                     text and byte strings, see below
//	[]any                      arrays
//	map[string]any             maps; keys are strings as in Perl hashes
//
// Strings: Perl has one string type. JSON carries characters; CBOR::XS
// sends a Perl string as a CBOR byte string unless it carries Perl's UTF-8
// flag, which is almost always. Both CBOR string kinds decode to Go string,
// byte strings with their raw bytes. When encoding CBOR a Go string that
// is pure ASCII, or not valid UTF-8, goes out as a byte string (exactly what
// Perl sends for the same value), and a valid UTF-8 string with non-ASCII
// characters goes out as a text string, so Perl sees characters.
// Encoders also take []byte (always binary), the other Go integer and float
// kinds, []string and map[string]string for convenience.
type Message struct {
	Port string
	Data []any
}

// String renders the message as compact JSON-like text, for logs and traces.
func (m Message) String() string {
	b, err := AppendJSON(nil, m)
	if err != nil {
		return fmt.Sprintf("%q%v", m.Port, m.Data)
	}
	return string(b)
}

// messageFromArray turns a decoded top-level array into a Message.
func messageFromArray(v any) (Message, error) {
	a, ok := v.([]any)
	if !ok {
		return Message{}, fmt.Errorf("%w: top-level value is %T, not an array", ErrBadFrame, v)
	}
	if len(a) == 0 {
		return Message{}, fmt.Errorf("%w: empty array has no destination port", ErrBadFrame)
	}
	port, ok := PerlString(a[0])
	if !ok {
		return Message{}, fmt.Errorf("%w: destination port is %T, not a string", ErrBadFrame, a[0])
	}
	return Message{Port: port, Data: a[1:]}, nil
}
