package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// cliNode is the node the protocol commands talk through, configured as
// bin/aemp's init does it: profile "aemp", node ID "aemp/%n/%u" (unless
// the rc file's "aemp" profile sets one), and no listeners, since it only
// connects out and every reply comes back over its own connections.
//
// It does not hand the seeds to the kernel (node.Config.Seeds stays
// empty): it dials them itself, so that it can tell the user why a seed
// refused it (a wrong secret above all), and so that it never races the
// kernel's own seed connections. It then asks a seed for the address of
// the node it wants with g_find, as the kernel would ask its master.
type cliNode struct {
	n       *node.Node
	seeds   []string      // seed addresses, srv: entries resolved
	timeout time.Duration // for messages

	once    sync.Once
	seedIDs []string // node IDs of the seeds we reached
	seedErr error    // why none could be reached
}

// cliNode makes the session's node on first use. It is configured from
// the rc file as it is in memory, so that earlier commands of the same
// chain take effect, as they do in aemp.
func (s *session) cliNode() (*cliNode, error) {
	if s.cli != nil {
		return s.cli, nil
	}
	c, err := compat.Resolve(s.rc, compat.AempProfile, map[string]any{compat.KeyNodeID: compat.AempNodeID}, compat.ResolveOptions{})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	nc, err := compat.NodeConfig(c)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	seeds := c.Seeds
	if len(s.opts.seeds) > 0 {
		seeds = s.opts.seeds
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.timeout)
	defer cancel()
	addrs, errs := s.resolver().Expand(ctx, seeds)
	for _, e := range errs {
		s.warnf("%v", e)
	}
	nc.Binds = nil
	nc.Seeds = nil
	nc.Logger = newLogger(s.stderr)
	nc.Trace = traceWriter(s.stderr)
	n, err := node.New(nc)
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		return nil, usageErr("%v", err)
	}
	s.cli = &cliNode{n: n, seeds: addrs, timeout: s.opts.timeout}
	return s.cli, nil
}

func (c *cliNode) close() { c.n.Close() }

// connectSeeds dials every seed once, in parallel. It fails only when no
// seed could be reached, with the reasons.
func (c *cliNode) connectSeeds(ctx context.Context) error {
	c.once.Do(func() {
		if len(c.seeds) == 0 {
			c.seedErr = connectErr("no seeds configured, so no node can be found (set some with `aemp-go seeds host:port`, or use --seed)")
			return
		}
		type result struct {
			addr, id string
			err      error
		}
		results := make([]result, len(c.seeds))
		var wg sync.WaitGroup
		for i, addr := range c.seeds {
			wg.Go(func() {
				id, err := c.n.Connect(ctx, addr)
				var he *protocol.HandshakeError
				if errors.Is(err, protocol.ErrAlreadyConnected) && errors.As(err, &he) {
					id, err = he.Node, nil
				}
				results[i] = result{addr, id, err}
			})
		}
		wg.Wait()
		var why []string
		var first error
		for _, r := range results {
			if r.err == nil {
				c.seedIDs = append(c.seedIDs, r.id)
				continue
			}
			why = append(why, fmt.Sprintf("seed %s: %s", r.addr, explain(r.err)))
			if first == nil || errors.Is(r.err, protocol.ErrAuthFailed) {
				first = r.err
			}
		}
		if len(c.seedIDs) == 0 {
			c.seedErr = &exitError{exitConnect, &explained{"cannot connect to any seed: " + strings.Join(why, "; "), first}}
		}
	})
	return c.seedErr
}

// reach makes sure there is a connection to nodeID before a command
// sends to it, so that failures are reported as what they are instead of
// as a silent timeout. A node that is not a seed is looked up with
// g_find on the seeds; the kernel's g_found handler then connects to the
// addresses found, or fails the connection with "no known address".
func (c *cliNode) reach(ctx context.Context, nodeID string) error {
	n := c.n
	if n.NodeIsUp(nodeID) {
		return nil
	}
	if err := c.connectSeeds(ctx); err != nil {
		return err
	}
	if n.NodeIsUp(nodeID) {
		return nil
	}
	up := make(chan struct{}, 1)
	down := make(chan []any, 1)
	g := n.MonNodes(func(id string, isUp bool, _ []any) {
		if id == nodeID && isUp {
			select {
			case up <- struct{}{}:
			default:
			}
		}
	})
	defer g.Stop()
	// Monitoring the node port makes the kernel start connecting and
	// tells us when that fails.
	mon, err := n.MonFunc(nodeID, func(reason []any) {
		select {
		case down <- reason:
		default:
		}
	})
	if err != nil {
		return usageErr("%v", err)
	}
	defer mon.Stop()
	if n.NodeIsUp(nodeID) {
		return nil
	}
	for _, seed := range c.seedIDs {
		n.Snd(seed, "g_find", nodeID)
	}
	select {
	case <-up:
		return nil
	case reason := <-down:
		if n.NodeIsUp(nodeID) {
			return nil
		}
		return connectErr("cannot reach node %s: %s", nodeID, joinReason(reason))
	case <-ctx.Done():
		return noReplyErr("cannot reach node %s: no connection within %v", nodeID, c.timeout)
	}
}
