package protocol

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
)

// Sizes of the read buffer. A stream decoder reads into a buffer of
// readSize bytes, grown only while one message does not fit (never beyond
// MaxMessageBytes plus readSize) and shrunk back once it is decoded.
const (
	readSize = 64 << 10
	minRead  = 4 << 10 // compact or grow when less than this is free
)

// errIncomplete is returned by a frame parser that ran out of buffered
// bytes before the frame ended; the stream then reads more.
var errIncomplete = errors.New("incomplete frame")

// frameCodec is one framing's half of a stream decoder: it finds where a
// frame ends and decodes a frame into a Message. Offsets are relative to
// the first undecoded byte.
type frameCodec interface {
	// parse decodes the frame at the start of b. If complete is false, b
	// is all that is buffered and may end inside the frame, and parse
	// returns errIncomplete then; if complete is true, b is exactly the
	// frame found by scan. n counts the bytes consumed.
	// The message goes into *m, which is left as it is on an error (the
	// stream clears it): results passed by pointer are not copied again
	// by every layer on the way out.
	parse(b []byte, complete bool, m *Message) (n int, err error)
	// scan continues an incremental search for the end of the frame at
	// the start of b, from where the previous call stopped, so that a
	// frame arriving in many reads is looked at once. It returns the frame
	// length when the frame is complete, 0 when more bytes are needed;
	// skip counts leading bytes between frames (JSON white space) to drop.
	scan(b []byte) (n, skip int, err error)
	// resetScan forgets the scan state once the frame is decoded.
	resetScan()
	// leading is how many of the bytes the last parse consumed came
	// before the frame (white space), which the size limit does not count.
	leading() int
}

// stream is the part of JSON and CBOR stream decoders that owns the read
// buffer and decides when to read.
//
// Each frame is first parsed straight from the buffer ("optimistically");
// only when the buffered bytes end inside the frame does the decoder switch
// to scanning for the frame's end while it reads, and parse the frame once
// it is complete. Every byte is so parsed at most twice and scanned at most
// once, however the stream is split into reads, and the size limit is
// checked on each read, before more is buffered.
//
// The values an optimistic parse made before it ran out of bytes are
// abandoned where they are, not handed back to the value allocator:
// undoing the allocator costs more on every message (a copy of its state
// before each parse) than the space it would save, which is at most one
// partial frame's values per frame, and is garbage once the chunks it
// shares are.
type stream struct {
	r     io.Reader
	lim   DecodeLimits
	codec frameCodec
	alloc *valueAlloc

	buf        []byte
	start, end int // buf[start:end] is read but not yet decoded
	frameLen   int // > 0: a complete frame of that length starts at start
	scanning   bool
	readErr    error // from r, reported once the buffered bytes are used up
	failed     error // sticky: the stream cannot be resynchronised

	// out is where Decode and DecodeBuffered have a message decoded: a
	// Message of their own would escape (the codec is an interface), an
	// allocation per message. They clear it before returning.
	out Message
}

// Decode returns the next message. It returns io.EOF at a clean end of the
// stream, an error wrapping ErrBadFrame for bytes that are not an AEMP
// message, a *MessageTooLargeError (wrapping ErrMessageTooLarge) for a
// message over the limit, and read errors as they are. After an error the
// stream cannot be resynchronised and Decode keeps returning it, except
// after a read timeout: then the decoder keeps what it has read and Decode
// may be called again.
func (s *stream) Decode() (Message, error) {
	err := s.DecodeInto(&s.out)
	m := s.out
	s.out = Message{}
	return m, err
}

// DecodeInto is Decode returning the message in *m (the zero Message on an
// error), for a caller that decodes in a loop.
func (s *stream) DecodeInto(m *Message) error {
	if s.failed != nil {
		*m = Message{}
		return s.failed
	}
	for {
		switch {
		case s.frameLen > 0:
			n, err := s.codec.parse(s.buf[s.start:s.start+s.frameLen], true, m)
			if err == nil && n != s.frameLen {
				err = fmt.Errorf("%w: trailing bytes in message", ErrBadFrame)
			}
			return s.done(m, n, err)
		case !s.scanning && s.start < s.end:
			n, err := s.codec.parse(s.buf[s.start:s.end], false, m)
			if err != errIncomplete {
				return s.done(m, n, err)
			}
			s.scanning = true
			continue
		case s.start < s.end:
			if s.scan() {
				if s.failed != nil {
					*m = Message{}
					return s.failed
				}
				continue
			}
		}
		if err := s.fill(); err != nil {
			*m = Message{}
			return err
		}
	}
}

// scan runs the codec's scanner over the buffered bytes; it reports
// whether Decode can go on without reading (a frame is complete, or the
// stream failed).
func (s *stream) scan() bool {
	n, skip, err := s.codec.scan(s.buf[s.start:s.end])
	s.start += skip
	switch {
	case err != nil:
		s.failed = err
	case n > s.lim.MaxMessageBytes:
		s.failed = &MessageTooLargeError{Size: int64(n), Limit: int64(s.lim.MaxMessageBytes)}
	case n > 0:
		s.frameLen = n
	case s.end-s.start > s.lim.MaxMessageBytes:
		s.failed = &MessageTooLargeError{Size: int64(s.end - s.start), Limit: int64(s.lim.MaxMessageBytes)}
	default:
		s.scanning = true
		return false
	}
	return true
}

// Buffered returns how many bytes were read from the stream and not yet
// decoded, if they hold what the next Decode returns (a complete message,
// or an error); it returns 0 when the next Decode must read, including
// when the buffered bytes are only the beginning of a message. A reader
// that hands messages on in batches flushes its batch when Buffered is 0.
// The check scans the buffered bytes for the end of the next message,
// which Decode then does not repeat.
func (s *stream) Buffered() int {
	if s.failed != nil || s.frameLen > 0 {
		return s.end - s.start
	}
	if s.start == s.end || !s.scan() {
		return 0
	}
	return s.end - s.start
}

// DecodeBuffered is Decode for the bytes already read: if they hold the
// next message (or an error), it decodes it and reports ok; otherwise it
// reports !ok and the next Decode must read. It never reads. Unlike
// Buffered followed by Decode, a complete message is parsed once,
// straight from the buffer, without a scan for its end first.
func (s *stream) DecodeBuffered() (m Message, ok bool, err error) {
	ok, err = s.DecodeBufferedInto(&s.out)
	m = s.out
	s.out = Message{}
	return m, ok, err
}

// DecodeBufferedInto is DecodeBuffered returning the message in *m (the
// zero Message when !ok or on an error).
func (s *stream) DecodeBufferedInto(m *Message) (ok bool, err error) {
	if s.failed != nil {
		*m = Message{}
		return true, s.failed
	}
	if s.frameLen == 0 && !s.scanning && s.start < s.end {
		n, err := s.codec.parse(s.buf[s.start:s.end], false, m)
		if err == nil && n <= s.lim.MaxMessageBytes {
			// done's common case, without its calls: within the
			// limit with any leading white space, so without it
			s.start += n
			s.codec.resetScan()
			return true, nil
		}
		if err != errIncomplete {
			return true, s.done(m, n, err)
		}
		s.scanning = true // as Decode would go on
	}
	if s.Buffered() == 0 {
		*m = Message{}
		return false, nil
	}
	return true, s.DecodeInto(m)
}

// done finishes a Decode: it checks the size and moves past the frame.
func (s *stream) done(m *Message, n int, err error) error {
	if size := n - s.codec.leading(); err == nil && size > s.lim.MaxMessageBytes {
		err = &MessageTooLargeError{Size: int64(size), Limit: int64(s.lim.MaxMessageBytes)}
	}
	if err != nil {
		if err == errIncomplete {
			err = fmt.Errorf("%w: message ends early", ErrBadFrame)
		}
		s.failed = err
		*m = Message{}
		return err
	}
	s.start += n
	s.frameLen = 0
	s.scanning = false
	s.codec.resetScan()
	return nil
}

// fill reads more bytes, first making room: compacting the buffer, or
// growing it while a frame that is within the size limit does not fit.
func (s *stream) fill() error {
	if s.readErr != nil {
		return s.endError()
	}
	s.alloc.releaseStack() // nothing decoded stays referenced while we wait
	pending := s.end - s.start
	switch {
	case s.buf == nil:
		s.buf = make([]byte, readSize)
	case pending == 0:
		s.start, s.end = 0, 0
		if len(s.buf) > readSize {
			s.buf = make([]byte, readSize) // drop the buffer of a large message
		}
	case len(s.buf)-s.end < minRead:
		size := len(s.buf)
		if pending+minRead > size {
			// The frame is at most MaxMessageBytes (scan checked), so the
			// buffer stays below MaxMessageBytes + readSize.
			size = max(2*size, pending+minRead)
			if size >= s.lim.MaxMessageBytes {
				size = s.lim.MaxMessageBytes + readSize // the last step
			}
		} else if size > readSize && pending+minRead <= readSize {
			size = readSize
		}
		if size != len(s.buf) {
			nb := make([]byte, size)
			copy(nb, s.buf[s.start:s.end])
			s.buf = nb
		} else {
			copy(s.buf, s.buf[s.start:s.end])
		}
		s.start, s.end = 0, pending
	}
	for range 100 {
		n, err := s.r.Read(s.buf[s.end:])
		s.end += n
		if n > 0 {
			s.alloc.newRead()
		}
		if err != nil && isTimeout(err) {
			// A read deadline (a caller checking for silence) leaves the
			// stream usable: Decode may be called again.
			if n > 0 {
				return nil
			}
			return err
		}
		if err != nil {
			s.readErr = err
			if n > 0 {
				return nil
			}
			return s.endError()
		}
		if n > 0 {
			return nil
		}
	}
	s.readErr = io.ErrNoProgress
	return s.endError()
}

// endError is the error for a stream whose reader has failed and whose
// buffered bytes are used up: io.EOF between messages, a truncated-message
// error inside one, or the read error itself.
func (s *stream) endError() error {
	if !errors.Is(s.readErr, io.EOF) {
		return s.readErr
	}
	if s.start == s.end {
		return io.EOF
	}
	return fmt.Errorf("%w: stream ends inside a message: %w", ErrBadFrame, io.ErrUnexpectedEOF)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
