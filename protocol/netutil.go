package protocol

import (
	"errors"
	"io"
	"net"
	"os"
)

// isNetError tells transport errors (which end a stream normally or
// abnormally) apart from decoding errors (which mean bad bytes).
func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, net.ErrClosed) || errors.Is(err, os.ErrDeadlineExceeded)
}

var errDeadline = os.ErrDeadlineExceeded
