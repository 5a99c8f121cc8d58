package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
	"github.com/urfave/cli/v2"
)

func runCommand() *command {
	return &command{name: "run", args: "[<profile>] | [profile <name>] [<key> <value>...]", usage: "run a node configured from a profile until SIGINT/SIGTERM", category: catRun,
		help: `Like aemp run: the words are AnyEvent::MP::Kernel::configure arguments, key
value pairs such as "profile NAME" or binds '["*:4040"]'; a single word is a
profile name. Without a profile the host name's profile is used, or, when
there is none, the "seed" profile that the first run creates. The node runs
until SIGINT or SIGTERM.

Services (the profile's "services" list) must be Go functions registered in
aemp-go; Perl modules and functions cannot run in Go, and an unknown service
stops the node from starting. Known: AnyEvent::MP::Global:: (makes the node
a global node, as in Perl), AnyEvent::MP::LogCatcher:: (nothing to do: every
Go node serves log catchers) and AempGo::Echo:: (registers the function
AempGo::Echo::echo, which replies with its arguments). A profile's "eval"
(Perl code) is ignored with a warning.

If there is no config file at all, run first creates one (secret, seeds and
a profile for a local seed node; see --first-run-addr) and says so.

Logging goes to stderr at the level of PERL_ANYEVENT_VERBOSE or AE_VERBOSE
(AnyEvent levels; default 4, errors only); PERL_ANYEVENT_MP_TRACE=1 or
AE_MP_TRACE=1 adds a line per message sent and received.

--metrics ADDR (or the profile key metrics_listen) serves Prometheus metrics
on http://ADDR/metrics; off by default.`,
		flags: []cli.Flag{&cli.StringFlag{Name: "first-run-addr", Value: defaultFirstRunAddr, EnvVars: []string{"AEMP_GO_FIRST_RUN_ADDR"},
			Usage: "address of the seed node created when there is no config file (only used then)"}, metricsCLIFlag()},
		first: runNode}
}

// runNode is aemp's run.
func runNode(inv *invocation, c *cli.Context) error {
	words := inv.tail(c)
	// Kernel.pm configure: an odd number of arguments starts with the
	// profile name.
	if len(words)%2 == 1 {
		words = append([]any{"profile"}, words...)
	}
	args, err := pairs(words)
	if err != nil {
		return err
	}
	path := compat.RCPath()
	_, explicit := args["profile"]
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		profile := firstRunProfile
		if explicit {
			if profile, err = profileArg(args); err != nil {
				return err
			}
		}
		if err := firstRun(inv.stdout, path, profile, c.String("first-run-addr")); err != nil {
			return err
		}
		args["profile"] = profile
		explicit = true
	}
	s, err := inv.session(c)
	if err != nil {
		return err
	}
	defer s.finish()
	if !explicit {
		// A bare `aemp-go run` keeps running the local seed that the first
		// run created, unless the host has a profile of its own.
		host, err := profileArg(args)
		if err != nil {
			return err
		}
		if !s.rc.HasProfile(host) && s.rc.HasProfile(firstRunProfile) {
			fmt.Fprintf(s.stdout, "aemp-go: no profile %q in %s; running profile %q\n", host, path, firstRunProfile)
			args["profile"] = firstRunProfile
		}
	}
	cfg, err := compat.Resolve(s.rc, "", args, compat.ResolveOptions{})
	if err != nil {
		return usageErr("%v", err)
	}
	if err := compat.CheckServices(cfg.Services, services()); err != nil {
		return usageErr("%v", err)
	}
	nc, err := compat.NodeConfig(cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	maddr, err := metricsAddr(c, cfg.Raw)
	if err != nil {
		return err
	}
	if cfg.Eval != "" {
		s.warnf("the profile's eval (Perl code) is ignored: a Go node cannot run Perl")
	}
	s.warnWeakSecret(cfg.Profile, cfg.Secret)
	log := newLogger(s.stderr)
	nc.Logger = log
	nc.Trace = traceWriter(s.stderr)
	// The node resolves srv: seeds itself, at start and at every retry;
	// look them up once here too, so that a broken record is reported on
	// the terminal whatever the log level.
	nc.SRV = s.resolver()
	ctx, cancel := s.protoCtx()
	_, errs := nc.SRV.Expand(ctx, cfg.Seeds)
	cancel()
	for _, e := range errs {
		s.warnf("%v", e)
	}
	n, err := node.New(nc)
	if err != nil {
		return usageErr("%v", err)
	}
	defer n.Close()
	if err := compat.RunServices(n, cfg.Services, services()); err != nil {
		return usageErr("%v", err)
	}
	metricsURL := ""
	if maddr != "" { // before Start: a busy port stops us before we join the mesh
		bound, stop, err := serveMetrics(maddr, n, log)
		if err != nil {
			return err
		}
		defer stop()
		metricsURL = "http://" + bound + "/metrics"
	}
	if err := n.Start(); err != nil {
		return usageErr("cannot start node %s: %v", n.ID(), err)
	}
	where := "nowhere (no binds)"
	if b := n.Binds(); len(b) > 0 {
		where = strings.Join(b, " ")
	}
	if metricsURL != "" {
		where += "; metrics on " + metricsURL
	}
	fmt.Fprintf(s.stdout, "aemp-go: node %s (profile %s) running, listening on %s; stop with SIGINT/SIGTERM\n", n.ID(), cfg.Profile, where)
	<-s.ctx.Done()
	fmt.Fprintf(s.stdout, "aemp-go: node %s stopped\n", n.ID())
	return nil
}

// profileArg is the profile a run will use: the "profile" argument, or
// the host name as Perl's default.
func profileArg(args map[string]any) (string, error) {
	if v, ok := args["profile"]; ok && v != nil {
		p, ok := scalarString(v)
		if !ok {
			return "", usageErr("the profile name must be a string")
		}
		return p, nil
	}
	host, err := compat.Nodename()
	if err != nil {
		return "", usageErr("cannot determine the default profile (host name): %v", err)
	}
	return host, nil
}

// nodeCommands are the commands that only work as the first word.
func nodeCommands() []*command {
	return []*command{runCommand(), doctorCommand()}
}
