package protocol

import "os"

var errDeadline = os.ErrDeadlineExceeded
