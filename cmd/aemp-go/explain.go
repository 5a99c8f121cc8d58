package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"syscall"

	"github.com/aemp-go/aemp-go/protocol"
)

// explain turns a connection or handshake failure into one line that
// says what to fix. The protocol error keeps its own wording at the end,
// so that it can still be searched for.
func explain(err error) string {
	var dnsErr *net.DNSError
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing is listening there (connection refused): is the node running, and is this its bind address?"
	case errors.Is(err, protocol.ErrAuthFailed):
		return "the shared secret does not match: both nodes must use the same secret (aemp-go secret ...) or the same certificate (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrNoSecret):
		return "no shared secret configured and TLS is not in use on both sides: run aemp-go gensecret, and give every node the same rc file secret (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrNoCommonAuth), errors.Is(err, protocol.ErrUnsupportedAuth):
		return "no common authentication method: compare auth_offer and auth_accept of both nodes (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrNoCommonFraming):
		return "no common framing: compare framing_format of both nodes; Go speaks cbor and json (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrTLS):
		return "TLS certificate problem: both nodes need the same cert (aemp-go gencert, then copy the rc file) (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrVersionMismatch):
		return "protocol version mismatch: the peer speaks another AEMP version (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrNotAEMP), errors.Is(err, protocol.ErrLineTooLong):
		return "not an AEMP peer: it did not send an aemp greeting (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrSelf):
		return "that address is a node with our own node ID (" + rootErr(err) + ")"
	case errors.Is(err, protocol.ErrAlreadyConnected):
		return "the peer says it is already connected to a node with our ID (" + rootErr(err) + ")"
	case errors.As(err, &dnsErr):
		return "cannot resolve the host name: " + dnsErr.Error()
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF), errors.Is(err, syscall.ECONNRESET):
		if strings.Contains(err.Error(), "auth line") {
			return "the peer closed the connection during authentication: it probably rejected our secret or certificate (" + rootErr(err) + ")"
		}
		return "not an AEMP peer: it closed the connection without an aemp greeting (" + rootErr(err) + ")"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "no answer in time: not an AEMP peer, or a firewall drops the packets (" + rootErr(err) + ")"
	}
	return err.Error()
}

// rootErr is the error text without the wrapping that names the peer,
// which the caller's message already does.
func rootErr(err error) string {
	var he *protocol.HandshakeError
	if errors.As(err, &he) {
		return he.Err.Error()
	}
	return err.Error()
}

// explained is an error shown with its explanation only, while
// errors.Is still finds the protocol error behind it.
type explained struct {
	msg string
	err error
}

func (e *explained) Error() string { return e.msg }
func (e *explained) Unwrap() error { return e.err }
