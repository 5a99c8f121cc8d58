package main

import (
	"context"
	"fmt"
	"net"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/protocol"
	"github.com/urfave/cli/v2"
)

func doctorCommand() *command {
	return &command{name: "doctor", args: "<host:port>|srv:<name>", usage: "connect once and explain in one line why a connection fails (aemp-go only)", category: catProtocol,
		help: `Runs one AEMP handshake with the address, using the secret, certificate and
protocol options of a profile (default "aemp", as the protocol commands use),
and prints either what was negotiated or the reason it failed: nothing
listening, shared secret mismatch, no common auth method or framing, TLS
certificate problem, version mismatch, not an AEMP peer. A srv: name checks
every target. Exits 3 on failure.`,
		flags: []cli.Flag{&cli.StringFlag{Name: "profile", Value: compat.AempProfile, Usage: "profile whose secret and options to use"}},
		first: doctor}
}

func doctor(inv *invocation, c *cli.Context) error {
	words := inv.tail(c)
	if len(words) != 1 {
		return usageErr("doctor: expected one address (host:port or srv:NAME)")
	}
	addr, ok := scalarString(words[0])
	if !ok {
		return usageErr("doctor: the address must be a string")
	}
	s, err := inv.session(c)
	if err != nil {
		return err
	}
	defer s.finish()
	profile := c.String("profile")
	args := map[string]any{}
	if profile == compat.AempProfile {
		args[compat.KeyNodeID] = compat.AempNodeID
	}
	cfg, err := compat.Resolve(s.rc, profile, args, compat.ResolveOptions{})
	if err != nil {
		return usageErr("%v", err)
	}
	nc, err := compat.NodeConfig(cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	s.warnWeakSecret(cfg.Profile, cfg.Secret)
	ctx, cancel := s.protoCtx()
	defer cancel()
	addrs, errs := s.resolver().Expand(ctx, []string{addr})
	if len(errs) > 0 {
		return connectErr("%s: %v", addr, errs[0])
	}
	hc := &protocol.HandshakeConfig{
		NodeID:     nc.NodeID,
		Secret:     nc.Secret,
		AuthOffer:  nc.AuthOffer,
		AuthAccept: nc.AuthAccept,
		Framings:   nc.Framings,
		TLS:        nc.TLS,
		Pairs:      []protocol.KV{{Key: protocol.KeyMProto, Value: "1"}, {Key: protocol.KeyGProto, Value: "1"}},
		Timeout:    s.opts.timeout,
	}
	failed := 0
	for _, a := range addrs {
		line, err := checkPeer(ctx, a, hc)
		if err != nil {
			failed++
			fmt.Fprintf(s.stdout, "%s: FAILED: %s\n", a, explain(err))
			continue
		}
		fmt.Fprintf(s.stdout, "%s: ok: %s\n", a, line)
	}
	if failed > 0 {
		return &exitError{exitConnect, errSilent}
	}
	return nil
}

// checkPeer runs one handshake and describes what was agreed on. The
// connection is closed right after; the peer logs that as a lost
// connection.
func checkPeer(ctx context.Context, addr string, hc *protocol.HandshakeConfig) (string, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", err
	}
	cfg := *hc
	cfg.PeerAddr = addr
	sess, err := protocol.Handshake(ctx, conn, &cfg)
	if err != nil {
		return "", err
	}
	defer sess.Conn.Close()
	provider, _ := sess.Remote.Get(protocol.KeyProvider)
	return fmt.Sprintf("node %q (provider %s), auth %s/%s, framing %s/%s (we send/they send), tls %v",
		sess.Remote.NodeID, provider, sess.LocalAuth.Method, sess.RemoteAuth.Method,
		sess.SendFraming, sess.RecvFraming, sess.TLS), nil
}
