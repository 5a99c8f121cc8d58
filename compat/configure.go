package compat

import (
	"fmt"
	"log/slog"

	"github.com/aemp-go/aemp-go/node"
)

// Configure is the Go counterpart of Perl's `configure`: it reads the rc
// file (RCPath), resolves the profile with args as the lowest-priority
// values (the rc file wins unless opts.Force), builds the node and starts
// it (listeners bound, seeds being connected). An empty profile means the
// host name, as in Perl.
//
//	n, err := compat.Configure("", map[string]any{"nodeid": "eg_receiver/%u"}, compat.ResolveOptions{})
//
// logger may be nil (slog.Default).
func Configure(profile string, args map[string]any, opts ResolveOptions, logger *slog.Logger) (*node.Node, error) {
	rc := NewRC()
	if !opts.NoRC {
		var err error
		if rc, err = LoadRC(RCPath()); err != nil {
			return nil, err
		}
	}
	cfg, err := Resolve(rc, profile, args, opts)
	if err != nil {
		return nil, err
	}
	nc, err := NodeConfig(cfg)
	if err != nil {
		return nil, err
	}
	nc.Logger = logger
	n, err := node.New(nc)
	if err != nil {
		return nil, err
	}
	if err := n.Start(); err != nil {
		n.Close()
		return nil, fmt.Errorf("profile %q: %w", cfg.Profile, err)
	}
	return n, nil
}
