package protocol

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"
)

// DefaultProvider is the provider= greeting value aemp-go sends. Perl
// sends "AE-<version>"; nothing in Perl 2.02 reads the value.
const DefaultProvider = "aemp-go-0.1"

// HandshakeConfig is one side's part of the handshake.
type HandshakeConfig struct {
	NodeID     string
	Secret     string   // the shared secret; may be empty when TLS is used
	AuthOffer  []string // methods we may send (default DefaultAuthOffer())
	AuthAccept []string // methods we accept and advertise (default DefaultAuthAccept())
	Framings   []string // framings we can receive/send (default DefaultFramings())
	TLS        *TLSCredentials
	PeerAddr   string        // the peer's address as we see it (peeraddr=)
	Pairs      []KV          // further greeting pairs, e.g. mproto=1 and gproto=1
	Provider   string        // default DefaultProvider
	Timeout    time.Duration // read timeout until authenticated (default DefaultMonitorTimeout)

	// CheckGreeting is called with the peer's greeting line 1 once its
	// protocol and version were accepted, before the nonce is read. The
	// node uses it to refuse itself and duplicate connections, as Perl's
	// greeting handler does. An error aborts the handshake.
	CheckGreeting func(*Greeting) error

	// nonce, when set, replaces NewNonce. It is a test hook, set only by
	// this package's tests, and unexported so that no caller can pin a
	// nonce (a repeated nonce lets a peer replay an old auth token).
	nonce func() string
}

// Session is an authenticated connection, ready for the data phase.
type Session struct {
	Conn   net.Conn  // the connection, TLS when TLS is up
	Reader io.Reader // data-phase bytes: whatever was read past the auth line, then Conn

	Local, Remote           *Greeting
	LocalNonce, RemoteNonce string
	LocalAuth, RemoteAuth   AuthLine

	SendFraming string // what we send (chosen by us from the peer's list)
	RecvFraming string // what the peer sends (its choice from our list)
	TLS         bool
	Untrusted   bool // the peer authenticated with tls_anon
}

// HandshakeError is a failed handshake, naming the peer.
type HandshakeError struct {
	Node string // the peer's node ID, when its greeting arrived
	Addr string // the peer's address
	Err  error
}

func (e *HandshakeError) Error() string {
	if e.Node != "" {
		return fmt.Sprintf("aemp handshake with node %q at %s: %v", e.Node, e.Addr, e.Err)
	}
	return fmt.Sprintf("aemp handshake with %s: %v", e.Addr, e.Err)
}

func (e *HandshakeError) Unwrap() error { return e.Err }

// LocalGreeting returns the greeting line 1 this config sends.
func (c *HandshakeConfig) LocalGreeting() *Greeting {
	g := &Greeting{
		Protocol: ProtocolName,
		Version:  strconv.Itoa(ProtocolVersion),
		NodeID:   c.NodeID,
		Auths:    orDefault(c.AuthAccept, DefaultAuthAccept),
		Framings: orDefault(c.Framings, DefaultFramings),
	}
	provider := c.Provider
	if provider == "" {
		provider = DefaultProvider
	}
	g.Set(KeyProvider, provider)
	if c.PeerAddr != "" {
		g.Set(KeyPeerAddr, c.PeerAddr)
	}
	for _, kv := range c.Pairs {
		g.Set(kv.Key, kv.Value)
	}
	if c.TLS != nil {
		g.Set(KeyTLS, "1.0")
	}
	return g
}

// orDefault returns l, or a fresh copy of the default when l is empty.
func orDefault(l []string, def func() []string) []string {
	if len(l) == 0 {
		return def()
	}
	return l
}

// Handshake runs the AEMP handshake on conn in either role (the protocol
// is symmetric), as Transport.pm does:
//
//  1. send greeting line 1 and the nonce line at once;
//  2. read the peer's greeting; check protocol, version, CheckGreeting;
//  3. read the peer's nonce; refuse an echo of our own lines;
//  4. if both sides have a certificate, upgrade to TLS (the side with the
//     lower nonce is the client);
//  5. pick an auth method and framing from the peer's lists, send our
//     auth line, read and verify the peer's.
//
// On failure conn is closed and the error is a *HandshakeError wrapping
// one of the Err* sentinels. ctx bounds the whole handshake, as does
// cfg.Timeout per read (Perl's rtimeout).
func Handshake(ctx context.Context, conn net.Conn, cfg *HandshakeConfig) (*Session, error) {
	s, err := handshake(ctx, conn, cfg)
	if err != nil {
		conn.Close()
		if s != nil && s.Conn != nil && s.Conn != conn {
			s.Conn.Close()
		}
		he := &HandshakeError{Addr: conn.RemoteAddr().String(), Err: err}
		if s != nil && s.Remote != nil {
			he.Node = s.Remote.NodeID
		}
		return nil, he
	}
	return s, nil
}

func handshake(ctx context.Context, conn net.Conn, cfg *HandshakeConfig) (*Session, error) {
	timeout := cfg.Timeout
	if timeout <= 0 {
		timeout = DefaultMonitorTimeout
	}
	deadline := time.Now().Add(timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	conn.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	s := &Session{Conn: conn, Local: cfg.LocalGreeting()}
	if cfg.nonce != nil {
		s.LocalNonce = cfg.nonce()
	} else {
		s.LocalNonce = NewNonce()
	}
	local := [2]string{s.Local.String(), s.LocalNonce}
	if _, err := io.WriteString(conn, local[0]+"\n"+local[1]+"\n"); err != nil {
		return s, ctxErr(ctx, err)
	}

	br := bufio.NewReaderSize(conn, MaxLineLength)
	line1, err := readLine(br)
	if err != nil {
		return s, ctxErr(ctx, fmt.Errorf("reading greeting: %w", err))
	}
	rg, err := ParseGreeting(line1)
	if err != nil {
		return s, err
	}
	s.Remote = rg
	switch {
	case rg.Protocol != ProtocolName:
		// Perl would switch to a sub-protocol for "aemp-<name>"
		// (aemp-dataconn, AnyEvent::MP::DataConn); aemp-go has none.
		return s, fmt.Errorf("%w, expected %q, got %q", ErrNotAEMP, ProtocolName, clip(rg.Protocol))
	case rg.VersionNumber() != ProtocolVersion:
		return s, fmt.Errorf("%w (we: %d, they: %s)", ErrVersionMismatch, ProtocolVersion, rg.Version)
	case rg.NodeID == cfg.NodeID:
		return s, ErrSelf
	}
	if cfg.CheckGreeting != nil {
		if err := cfg.CheckGreeting(rg); err != nil {
			return s, err
		}
	}

	s.RemoteNonce, err = readLine(br)
	if err != nil {
		return s, ctxErr(ctx, fmt.Errorf("reading nonce: %w", err))
	}
	remote := [2]string{line1, s.RemoteNonce}
	if remote == local {
		return s, ErrEchoAttack
	}
	if s.RemoteNonce == s.LocalNonce {
		return s, ErrIdenticalNonce
	}

	s.TLS = cfg.TLS != nil && rg.WantsTLS()
	auth, ok := SelectAuth(rg.Auths, orDefault(cfg.AuthOffer, DefaultAuthOffer), s.TLS)
	if !ok {
		return s, fmt.Errorf("%w (they accept %s)", ErrNoCommonAuth, strings.Join(rg.Auths, ","))
	}
	framings := orDefault(cfg.Framings, DefaultFramings)
	sendFraming, ok := SelectFraming(rg.Framings, framings)
	if !ok {
		return s, fmt.Errorf("%w (they accept %s, we have %s)", ErrNoCommonFraming,
			strings.Join(rg.Framings, ","), strings.Join(framings, ","))
	}

	if s.TLS {
		// Bytes of the TLS handshake may already sit in br's buffer.
		pending, _ := br.Peek(br.Buffered())
		raw := &prefixConn{Conn: conn, r: io.MultiReader(bytes.NewReader(bytes.Clone(pending)), conn)}
		// Quirk: Perl compares the base64 nonce lines as strings
		// ($lgreeting2 lt $rgreeting2), not the raw nonce octets the
		// documentation mentions.
		var tc *tls.Conn
		if s.LocalNonce < s.RemoteNonce {
			tc = tls.Client(raw, cfg.TLS.config(true))
		} else {
			tc = tls.Server(raw, cfg.TLS.config(false))
		}
		s.Conn = tc
		if err := tc.HandshakeContext(ctx); err != nil {
			return s, fmt.Errorf("%w: %v", ErrTLS, err)
		}
		br = bufio.NewReaderSize(tc, MaxLineLength)
	}

	token, err := LocalToken(auth, cfg.Secret, local, remote, s.TLS)
	if err != nil {
		return s, err
	}
	s.LocalAuth = AuthLine{Method: auth, Token: token, Framing: sendFraming}
	if _, err := io.WriteString(s.Conn, s.LocalAuth.String()+"\n"); err != nil {
		return s, ctxErr(ctx, err)
	}

	authLine, err := readLine(br)
	if err != nil {
		return s, ctxErr(ctx, fmt.Errorf("reading auth line: %w", err))
	}
	s.RemoteAuth = ParseAuthLine(authLine)
	if err := VerifyToken(s.RemoteAuth, orDefault(cfg.AuthAccept, DefaultAuthAccept), cfg.Secret, local, remote, s.TLS); err != nil {
		return s, err
	}
	// Perl does not check the framing the peer picked until it fails to
	// decode it; we refuse at once what we did not offer.
	if !contains(framings, s.RemoteAuth.Framing) {
		return s, fmt.Errorf("%w: peer chose to send %q, we accept %s", ErrNoCommonFraming,
			clip(s.RemoteAuth.Framing), strings.Join(framings, ","))
	}
	s.RecvFraming = s.RemoteAuth.Framing
	s.SendFraming = sendFraming
	s.Untrusted = s.RemoteAuth.Method == AuthTLSAnon

	// The context must not fire after this point: its AfterFunc would set
	// a deadline in the past on the established connection.
	if !stop() {
		return s, ctx.Err()
	}
	// From here on Perl relies on TCP keepalive and retransmit timeouts.
	s.Conn.SetDeadline(time.Time{})
	pending, _ := br.Peek(br.Buffered())
	s.Reader = io.MultiReader(bytes.NewReader(bytes.Clone(pending)), s.Conn)
	return s, nil
}

// ctxErr prefers the context's error when the context ended the read.
func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil && errors.Is(err, errDeadline) {
		return ctx.Err()
	}
	return err
}

// prefixConn reads through r (buffered bytes first) and writes to Conn.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (p *prefixConn) Read(b []byte) (int, error) { return p.r.Read(b) }
