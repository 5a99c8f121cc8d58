package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

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
	// One outgoing handshake per node at a time. A slave dials its seed
	// by address and, once the greeting names the node, sends it g_slave,
	// which dials the node by ID (Kernel.pm does the same: "since we
	// probably switch connections"). When both handshakes finish, each
	// side makes its newest connection current and drops the other, and
	// the two sides need not agree on which is newest: then the node goes
	// down right after it came up, losing what was sent on it. So a dial
	// whose greeting names a node that another dial of ours is already
	// past the greeting with gives up at once, as Transport.pm gives up on
	// a node that is already connected; the first one goes on. A first
	// one that hangs after the greeting holds the others off until the
	// handshake times out (Config.MonitorTimeout), as it would hold the
	// node anyway.
	var claimed string
	check := hc.CheckGreeting
	hc.CheckGreeting = func(g *protocol.Greeting) error {
		if check != nil {
			if err := check(g); err != nil {
				return err
			}
		}
		if !n.claimDial(g.NodeID) {
			return fmt.Errorf("%s %w (another connection to it is being made)", g.NodeID, protocol.ErrAlreadyConnected)
		}
		claimed = g.NodeID
		return nil
	}
	defer func() {
		if claimed != "" { // after attach: the node is up, the greeting check refuses from now on
			n.releaseDial(claimed)
		}
	}()
	dctx, cancel := context.WithTimeout(ctx, n.cfg.MonitorTimeout)
	nc, err := n.cfg.Transport.Dial(dctx, addr)
	cancel() // bounds the dial only; the connection lives on
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

// claimDial records that an outgoing handshake with node id is past its
// greeting; it reports false if another one already is.
func (n *Node) claimDial(id string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.dialing[id] {
		return false
	}
	if n.dialing == nil {
		n.dialing = map[string]bool{}
	}
	n.dialing[id] = true
	return true
}

func (n *Node) releaseDial(id string) {
	n.mu.Lock()
	delete(n.dialing, id)
	n.mu.Unlock()
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
	ln, err := n.cfg.Transport.Listen(addr)
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
	go n.serve(ln, bound)
	return nil
}

// Accept backoff, as net/http's Server.Serve: after a failed Accept
// (usually "too many open files") wait 5 ms, doubling up to 1 s, so a node
// out of descriptors does not spin; one log line per burst of failures,
// and one when accepting works again.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// serve accepts connections on ln until the node closes.
func (n *Node) serve(ln net.Listener, bound string) {
	defer n.wg.Done()
	var delay time.Duration
	failures := 0
	for {
		nc, err := ln.Accept()
		if err != nil {
			if n.closed() || errors.Is(err, net.ErrClosed) {
				return
			}
			if delay == 0 {
				delay = acceptBackoffMin
				n.log.Warn("accept failed, backing off", "addr", bound, "err", err)
			} else if delay *= 2; delay > acceptBackoffMax {
				delay = acceptBackoffMax
			}
			failures++
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-n.ctx.Done():
				t.Stop()
				return
			}
			continue
		}
		if failures > 0 {
			n.log.Info("accepting again", "addr", bound, "failed", failures)
			delay, failures = 0, 0
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
}
