package main

import (
	"context"
	"io"
	"slices"

	"github.com/urfave/cli/v2"
)

// version is printed by --version.
const version = "0.1.0 (AnyEvent::MP 2.02 protocol)"

// invocation is one run of the program: the command line after aemp's
// JSON rules (see perlArgs) and where output goes. urfave/cli only sees
// strings; commands take their arguments from words, by position.
type invocation struct {
	ctx            context.Context
	stdout, stderr io.Writer
	words          []any
}

// tail returns the decoded words that urfave/cli left as the command's
// arguments. Flags are only parsed before the first argument, so the
// arguments are always the last words of the command line.
func (inv *invocation) tail(c *cli.Context) []any {
	return inv.words[len(inv.words)-c.Args().Len():]
}

// session starts a session with the top-level flags.
func (inv *invocation) session(c *cli.Context) (*session, error) {
	opts := options{
		timeout:   c.Duration("timeout"),
		seeds:     c.StringSlice("seed"),
		dnsServer: c.String("dns-server"),
	}
	return newSession(inv.ctx, inv.stdout, inv.stderr, opts)
}

// newApp builds the urfave/cli application: the top-level flags, help
// and version, and one cli.Command per aemp-go command.
func (inv *invocation) newApp() *cli.App {
	app := &cli.App{
		Name:      "aemp-go",
		Usage:     "configure, run and talk to AnyEvent::MP (AEMP) nodes: a Go aemp",
		UsageText: "aemp-go [global options] command [arguments...] [command [arguments...]]...",
		Description: `A Go counterpart of Perl's aemp (AnyEvent::MP 2.02). It shares aemp's config
file (~/.perl-anyevent-mp, or $PERL_ANYEVENT_MP_RC) and its command chains:
commands that do not take all remaining words leave them to the next command,
e.g.  aemp-go gensecret profile seed binds 127.0.0.1:4040 nodeid seed

Arguments follow aemp's rules: a single argument starting with [ is a JSON
array that replaces the whole command line; otherwise any argument starting
with [, { or " is JSON.

Exit codes: 0 ok; 1 timeout, no reply or remote error; 2 usage or config
error; 3 connection or handshake failure (e.g. wrong shared secret).`,
		Version:   version,
		Writer:    inv.stdout,
		ErrWriter: inv.stderr,
		Flags: []cli.Flag{
			&cli.DurationFlag{Name: "timeout", Value: defaultTimeout, Usage: "time limit of protocol commands, connecting included (aemp: 5s)"},
			&cli.StringSliceFlag{Name: "seed", Usage: "seed address for protocol commands, instead of the profile's seeds (repeatable; srv:NAME allowed)"},
			&cli.StringFlag{Name: "dns-server", Usage: "DNS server (host:port) for srv: seeds, instead of those in /etc/resolv.conf"},
		},
		ExitErrHandler: func(*cli.Context, error) {}, // run maps errors to exit codes
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageErr("%v (try aemp-go help)", err)
		},
		Action: func(c *cli.Context) error {
			if c.Args().Len() == 0 {
				return usageErr("usage: aemp-go command [arguments...] (try aemp-go help)")
			}
			return usageErr("%s: no such aemp-go command (try aemp-go help)", c.Args().First())
		},
	}
	for _, cmd := range allCommands() {
		app.Commands = append(app.Commands, inv.cliCommand(cmd))
	}
	return app
}

// cliCommand wraps one command for urfave/cli.
func (inv *invocation) cliCommand(cmd *command) *cli.Command {
	cc := &cli.Command{
		Name:            cmd.name,
		Aliases:         slices.Clone(cmd.aliases),
		Usage:           cmd.usage,
		ArgsUsage:       cmd.args,
		Category:        cmd.category,
		Description:     cmd.help,
		Flags:           cmd.flags,
		HideHelpCommand: true, // "help" may be a port or a secret
		// Commands without flags take every word literally, like aemp;
		// "--help" alone is still help (see below).
		SkipFlagParsing: len(cmd.flags) == 0,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return usageErr("%s: %v (try aemp-go help %s)", cmd.name, err, cmd.name)
		},
	}
	if cc.SkipFlagParsing {
		cc.CustomHelpTemplate = literalHelpTemplate
	}
	cc.Action = func(c *cli.Context) error {
		if cc.SkipFlagParsing && c.Args().Len() == 1 && (c.Args().First() == "--help" || c.Args().First() == "-h") {
			return cli.ShowCommandHelp(c, cmd.name)
		}
		if cmd.first != nil {
			return cmd.first(inv, c)
		}
		s, err := inv.session(c)
		if err != nil {
			return err
		}
		if cmd.apply != nil {
			cmd.apply(c, &s.opts)
		}
		err = s.runChain(append([]any{cmd.name}, inv.tail(c)...))
		if ferr := s.finish(); err == nil {
			err = ferr
		}
		return err
	}
	return cc
}

// literalHelpTemplate is the help of commands that take their arguments
// literally, which have no options to list.
const literalHelpTemplate = `NAME:
   {{template "helpNameTemplate" .}}

USAGE:
   {{.HelpName}} {{.ArgsUsage}}{{if .Aliases}}

ALIASES:
   {{join .Aliases ", "}}{{end}}{{if .Category}}

CATEGORY:
   {{.Category}}{{end}}{{if .Description}}

DESCRIPTION:
   {{template "descriptionTemplate" .}}{{end}}

Arguments are taken literally, as aemp takes them; "--help" or "-h" as the
only argument shows this help.
`
