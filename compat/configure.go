package compat

import (
	"fmt"
	"log/slog"
	"maps"

	"github.com/aemp-go/aemp-go/node"
)

// Configure is the Go counterpart of Perl's `configure`: it reads the rc
// file (RCPath), resolves the profile with args as the lowest-priority
// values (the rc file wins unless opts.Force), builds the node and starts
// it (listeners bound, seeds being connected). An empty profile means the
// host name, as in Perl.
//
//	n, err := compat.Configure("", map[string]any{"nodeid": "eg_receiver/%u"}, compat.ResolveOptions{}, nil)
//
// logger may be nil (slog.Default). The profile's services must be ones
// a Go node implements (BuiltinServices); use ConfigureWith to add Go
// services of your own.
func Configure(profile string, args map[string]any, opts ResolveOptions, logger *slog.Logger) (*node.Node, error) {
	return ConfigureWith(profile, args, Setup{Resolve: opts, Logger: logger})
}

// Setup is what ConfigureWith needs besides the profile and arguments.
type Setup struct {
	Resolve ResolveOptions
	// Logger is the node's logger; nil means slog.Default().
	Logger *slog.Logger
	// Services are Go implementations of "services" entries, by the name
	// the rc file uses ("MyApp::Worker::start", or "MyApp::Worker::" for
	// the module form), in addition to BuiltinServices.
	Services map[string]ServiceFunc
	// SRV resolves "srv:NAME" seeds; nil asks the servers of
	// /etc/resolv.conf.
	SRV *node.SRVResolver
}

// ConfigureWith is Configure with Go services and a DNS resolver for SRV
// seeds. What Perl's configure does at the end, a Go node does like
// this:
//
//   - services: each entry runs the Go function registered under its
//     name, before the node starts listening. AnyEvent::MP::Global::
//     makes the node global (node.Config.Global). An entry with no Go
//     code (a Perl module or function) is an error that names it, and no
//     node is started, as Perl's configure dies on a service it cannot
//     load.
//   - eval: a Go node cannot run Perl code. A non-empty eval is logged
//     as a warning that quotes it, and the node starts without it.
func ConfigureWith(profile string, args map[string]any, s Setup) (*node.Node, error) {
	rc := NewRC()
	if !s.Resolve.NoRC {
		var err error
		if rc, err = LoadRC(RCPath()); err != nil {
			return nil, err
		}
	}
	cfg, err := Resolve(rc, profile, args, s.Resolve)
	if err != nil {
		return nil, err
	}
	nc, err := NodeConfig(cfg)
	if err != nil {
		return nil, err
	}
	registry := BuiltinServices()
	maps.Copy(registry, s.Services)
	if err := CheckServices(cfg.Services, registry); err != nil {
		return nil, fmt.Errorf("profile %q: %w", cfg.Profile, err)
	}
	nc.Logger = s.Logger
	nc.SRV = s.SRV
	n, err := node.New(nc)
	if err != nil {
		return nil, err
	}
	if cfg.Eval != "" {
		log := s.Logger
		if log == nil {
			log = slog.Default()
		}
		log.Warn("the profile's eval is Perl code, which a Go node cannot run; ignored", "profile", cfg.Profile, "eval", cfg.Eval)
	}
	if err := RunServices(n, cfg.Services, registry); err != nil {
		n.Close()
		return nil, fmt.Errorf("profile %q: %w", cfg.Profile, err)
	}
	if err := n.Start(); err != nil {
		n.Close()
		return nil, fmt.Errorf("profile %q: %w", cfg.Profile, err)
	}
	return n, nil
}
