package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

// options are the settings of the top-level flags, which apply to every
// command of a chain.
type options struct {
	timeout   time.Duration // aemp's five seconds for protocol commands
	seeds     []string      // replace the profile's seeds when set
	dnsServer string        // DNS server for srv: seeds, "" for resolv.conf

	traceTimeout time.Duration // trace's wait per node (aemp: 15 s)
	traceDot     bool          // trace prints a Graphviz graph
	logsLevel    string        // logs: most verbose AnyEvent level to collect
	logsFor      time.Duration // logs: stop after this long, 0 = when interrupted
}

// session is one run of a command chain: bin/aemp's globals $cfg (the rc
// file, loaded once), $profile (the section commands act on) and the
// "dirty" flag, plus the CLI's own node, made when a protocol command
// first needs it (aemp's init).
type session struct {
	ctx            context.Context
	stdout, stderr io.Writer
	opts           options

	rcPath string
	rc     *compat.RC
	cur    *compat.Section // aemp's $profile: the top level until `profile NAME`
	dirty  bool

	words []any // the words not consumed yet

	cli *cliNode
}

// newSession loads the rc file. A file that exists but cannot be used is
// an error, and nothing is ever written to it (Perl would start from an
// empty config and overwrite the file on the next change).
func newSession(ctx context.Context, stdout, stderr io.Writer, opts options) (*session, error) {
	path := compat.RCPath()
	rc, err := compat.LoadRC(path)
	if err != nil {
		if errors.Is(err, compat.ErrBrokenRC) {
			return nil, usageErr("%v (fix or move it; nothing was changed)", err)
		}
		return nil, usageErr("%s: %v", path, err)
	}
	return &session{ctx: ctx, stdout: stdout, stderr: stderr, opts: opts,
		rcPath: path, rc: rc, cur: rc.Global()}, nil
}

// runChain processes words left to right as bin/aemp's `docmd while
// @ARGV` does: each command takes the arguments it needs and leaves the
// rest to be read as the next command.
func (s *session) runChain(words []any) error {
	s.words = words
	for len(s.words) > 0 {
		w := s.shift()
		name, _ := w.(string)
		cmd := lookupCommand(name)
		if cmd == nil || cmd.chain == nil {
			if cmd != nil {
				return usageErr("%s: must be the first word of the command line", name)
			}
			return usageErr("%s: no such aemp-go command (try aemp-go help)", displayArg(w))
		}
		if err := cmd.chain(s); err != nil {
			return err
		}
	}
	return nil
}

// finish closes the CLI node and writes the rc file if a command changed
// it. Like aemp, whose END block saves, it also saves the changes of the
// commands that ran before a failing one.
func (s *session) finish() error {
	if s.cli != nil {
		s.cli.close()
	}
	if !s.dirty {
		return nil
	}
	before, after, err := s.rc.SavePerm(s.rcPath)
	if err != nil {
		return usageErr("cannot save %s: %v", s.rcPath, err)
	}
	if before != 0 && before != after {
		fmt.Fprintf(s.stderr, "aemp-go: %s holds the shared secret or TLS key: permissions narrowed from %04o to %04o\n",
			s.rcPath, before, after)
	}
	return nil
}

func (s *session) shift() any {
	w := s.words[0]
	s.words = s.words[1:]
	return w
}

// need takes the next word, or fails with aemp's message for a missing
// argument.
func (s *session) need(missing string) (any, error) {
	if len(s.words) == 0 {
		return nil, usageErr("%s", missing)
	}
	return s.shift(), nil
}

// needString is need for arguments that must be scalars (addresses,
// names, file names).
func (s *session) needString(missing string) (string, error) {
	w, err := s.need(missing)
	if err != nil {
		return "", err
	}
	str, ok := scalarString(w)
	if !ok {
		return "", usageErr("%s: expected a string, got %s", missing, displayArg(w))
	}
	return str, nil
}

// rest takes all remaining words.
func (s *session) rest() []any {
	r := s.words
	s.words = nil
	return r
}

func (s *session) warnf(format string, args ...any) {
	fmt.Fprintf(s.stderr, "aemp-go: warning: "+format+"\n", args...)
}

// resolver looks up srv: seeds, at --dns-server when given.
func (s *session) resolver() *node.SRVResolver { return &node.SRVResolver{Server: s.opts.dnsServer} }
