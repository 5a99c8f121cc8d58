package protocol

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// MaxLineLength bounds every line before authentication, line end
// included (Transport.pm: rbuf_max 4 KiB until the auth line was read).
const MaxLineLength = 4096

// readLine reads one LF-terminated line and strips the LF and an optional
// CR before it, as AnyEvent::Handle's line reader does. r must have a
// buffer of MaxLineLength bytes so that a longer line fails with
// ErrLineTooLong instead of growing.
func readLine(r *bufio.Reader) (string, error) {
	b, err := r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) {
			return "", fmt.Errorf("%w (over %d bytes)", ErrLineTooLong, MaxLineLength)
		}
		if errors.Is(err, io.EOF) {
			return "", io.ErrUnexpectedEOF
		}
		return "", err
	}
	b = b[:len(b)-1]
	if len(b) > 0 && b[len(b)-1] == '\r' {
		b = b[:len(b)-1]
	}
	return string(b), nil
}
