package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/aemp-go/aemp-go/protocol"
)

// handshakeConfig is this node's side of a handshake with a peer at
// peerAddr (written into our greeting as peeraddr=).
func (n *Node) handshakeConfig(peerAddr string) *protocol.HandshakeConfig {
	return &protocol.HandshakeConfig{
		NodeID:     n.id,
		Secret:     n.cfg.Secret,
		AuthOffer:  n.cfg.AuthOffer,
		AuthAccept: n.cfg.AuthAccept,
		Framings:   n.cfg.Framings,
		TLS:        n.cfg.TLS,
		PeerAddr:   peerAddr,
		Pairs:      []protocol.KV{{Key: protocol.KeyMProto, Value: "1"}, {Key: protocol.KeyGProto, Value: "1"}},
		Timeout:    n.cfg.MonitorTimeout,
		// Transport.pm refuses a node it already has a connection to.
		CheckGreeting: func(g *protocol.Greeting) error {
			if n.NodeIsUp(g.NodeID) {
				return fmt.Errorf("%s %w", g.NodeID, protocol.ErrAlreadyConnected)
			}
			return nil
		},
	}
}

// Connect dials addr, runs the handshake and attaches the connection. It
// returns the peer's node ID. Errors are *protocol.HandshakeError where
// the handshake failed, so that the caller can tell the operator e.g.
// that the shared secret does not match.
func (n *Node) Connect(ctx context.Context, addr string) (string, error) {
	c, err := n.dial(ctx, addr)
	if err != nil {
		return "", err
	}
	return c.r.id, nil
}

func (n *Node) dial(ctx context.Context, addr string) (*conn, error) {
	return n.dialConfig(ctx, addr, n.handshakeConfig(addr))
}

func (n *Node) dialConfig(ctx context.Context, addr string, hc *protocol.HandshakeConfig) (*conn, error) {
	if n.closed() {
		return nil, ErrClosed
	}
	d := net.Dialer{Timeout: n.cfg.MonitorTimeout} // keepalive is on by default, nodelay too
	nc, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	s, err := protocol.Handshake(ctx, nc, hc)
	if err != nil {
		n.logHandshake(err)
		return nil, err
	}
	return n.attach(s)
}

// logHandshake logs a failed handshake; refusals that are part of normal
// operation (ourselves, duplicates) only at debug level.
func (n *Node) logHandshake(err error) {
	n.stats.handshakeFailed(err)
	if errors.Is(err, protocol.ErrSelf) || errors.Is(err, protocol.ErrAlreadyConnected) {
		n.log.Debug("handshake refused", "err", err)
		return
	}
	n.log.Warn("handshake failed", "err", err)
}

func (n *Node) listen(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("aemp: cannot bind %s: %w", addr, err)
	}
	bound := ln.Addr().String()
	n.mu.Lock()
	if n.closed() {
		n.mu.Unlock()
		ln.Close()
		return ErrClosed
	}
	n.listeners = append(n.listeners, ln)
	n.binds = append(n.binds, bound)
	n.mu.Unlock()
	n.log.Info("listening", "addr", bound)
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		for {
			nc, err := ln.Accept()
			if err != nil {
				if n.closed() || errors.Is(err, net.ErrClosed) {
					return
				}
				n.log.Warn("accept failed", "addr", bound, "err", err)
				continue
			}
			n.wg.Add(1)
			go func() {
				defer n.wg.Done()
				s, err := protocol.Handshake(n.ctx, nc, n.handshakeConfig(nc.RemoteAddr().String()))
				if err != nil {
					n.logHandshake(err)
					return
				}
				n.attach(s) // fails only when the node is closing
			}()
		}
	}()
	return nil
}

// resolveBind expands a bind specification as Kernel.pm's _resolve does:
// a bare port (or nothing) means the host name with that port, a "*" port
// means any free port, a "*" host every non-loopback address.
func resolveBind(spec string) ([]string, error) {
	if spec == "" || strings.Trim(spec, "0123456789") == "" {
		h, _ := os.Hostname()
		if spec == "" {
			spec = h + ":0"
		} else {
			spec = h + ":" + spec
		}
	}
	host, port, err := net.SplitHostPort(spec)
	if err != nil {
		if host, port = spec, "0"; host == "*" {
			err = nil
		} else {
			return nil, fmt.Errorf("aemp: %s: unparsable bind address: %w", spec, err)
		}
	}
	if port == "*" {
		port = "0"
	}
	if host != "*" {
		return []string{net.JoinHostPort(host, port)}, nil
	}
	ifaddrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, fmt.Errorf("aemp: listing interfaces for bind %q: %w", spec, err)
	}
	var out []string
	for _, a := range ifaddrs {
		ipn, ok := a.(*net.IPNet)
		if !ok || ipn.IP.IsLoopback() || ipn.IP.IsLinkLocalUnicast() {
			continue
		}
		out = append(out, net.JoinHostPort(ipn.IP.String(), port))
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("aemp: bind %q: no non-loopback address on this host", spec)
	}
	return out, nil
}
