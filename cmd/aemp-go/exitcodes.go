package main

import (
	"errors"
	"fmt"
)

// Exit codes. Perl's aemp exits 1 when its five-second timer fires and
// 255 when it dies; aemp-go splits the failures so that scripts can tell a
// silent peer from a wrong invocation and from an unreachable network.
const (
	exitOK      = 0 // the command did what it was asked
	exitNoReply = 1 // timeout, no reply, the port died, or the peer reported an error
	exitUsage   = 2 // wrong arguments, unknown command, unusable or unwritable config
	exitConnect = 3 // no connection: refused, handshake failed (wrong secret, TLS, ...), node unknown
)

// exitError carries the exit code a failure maps to. Its message is what
// the user sees on stderr, prefixed with "aemp-go: ".
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, args ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, args...)}
}

func noReplyErr(format string, args ...any) error {
	return &exitError{exitNoReply, fmt.Errorf(format, args...)}
}

func connectErr(format string, args ...any) error {
	return &exitError{exitConnect, fmt.Errorf(format, args...)}
}

// exitCode maps an error to the process exit code; anything untyped is
// treated as a usage/configuration problem, the only errors left that do
// not come from the network.
func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitUsage
}
