package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
	"github.com/urfave/cli/v2"
)

// defaultLogsLevel is the level logs asks for: info and more severe.
const defaultLogsLevel = node.AELevelInfo

func logsCommand() *command {
	return &command{name: "logs", args: "[--level N] [--for DURATION]", usage: "collect and print the log records of every node, Perl and Go", category: catProtocol,
		help: `Acts as an AnyEvent::MP::LogCatcher: finds every node of the mesh in the
global database, asks each (AnyEvent::MP::LogCatcher::connect) for its log
records of --level or more severe (AnyEvent levels: 1 fatal, 2 alert, 3 crit,
4 error, 5 warn, 6 note, 7 info, 8 debug, 9 trace; names work too), and
prints them as a Perl catcher logs them:

  2026-11-29 08:05:00.123456 +0000 warn  AnyEvent::MP::Kernel: [node+0.002s] message

(the time the record arrived, the level, the sender's log context, the
node and how long ago the record was made, when that is a millisecond or
more). Nodes that join later are asked as they appear; a node whose
connection is lost is asked again. Runs until SIGINT/SIGTERM, or for --for.

Perl nodes send their logs when they are not in secure mode (they load
AnyEvent::MP::LogCatcher on demand); Go nodes always do, unless in secure
mode. Records are not buffered: what a node logs while nobody is connected
is not sent.`,
		flags: []cli.Flag{
			&cli.StringFlag{Name: "level", Value: strconv.Itoa(defaultLogsLevel), Usage: "most verbose level to collect (1-9 or a name)"},
			&cli.DurationFlag{Name: "for", Usage: "stop after this long (default: until interrupted)"},
		},
		apply: func(c *cli.Context, o *options) {
			o.logsLevel = c.String("level")
			o.logsFor = c.Duration("for")
		},
		chain: cmdLogs}
}

// aeLevelNames are AnyEvent::Log's @LEVEL2STR.
var aeLevelNames = []string{"0", "fatal", "alert", "crit", "error", "warn", "note", "info", "debug", "trace"}

// parseAELevel reads a level number or name.
func parseAELevel(s string) (int, error) {
	if s == "" {
		return defaultLogsLevel, nil
	}
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 9 {
		return n, nil
	}
	for i, name := range aeLevelNames[1:] {
		if strings.EqualFold(s, name) {
			return i + 1, nil
		}
	}
	return 0, usageErr("--level %q: want 1-9 or one of %s", s, strings.Join(aeLevelNames[1:], ", "))
}

func cmdLogs(s *session) error {
	level, err := parseAELevel(s.opts.logsLevel)
	if err != nil {
		return err
	}
	// Reach a seed first through the CLI node, so that a wrong secret or
	// a dead seed is reported as such instead of as silence.
	c, err := s.cliNode()
	if err != nil {
		return err
	}
	ctx, cancel := s.protoCtx()
	err = c.connectSeeds(ctx)
	cancel()
	if err != nil {
		return err
	}
	// The catcher needs a master to watch the database, so its node
	// gets the seeds (the CLI node dials them itself and has none).
	cfg, err := compat.Resolve(s.rc, compat.AempProfile, map[string]any{compat.KeyNodeID: compat.AempNodeID}, compat.ResolveOptions{})
	if err != nil {
		return usageErr("%v", err)
	}
	nc, err := compat.NodeConfig(cfg)
	if err != nil {
		return usageErr("%v", err)
	}
	nc.Binds = nil
	nc.Seeds = c.seeds // srv: entries already resolved
	nc.Logger = newLogger(s.stderr)
	nc.Trace = traceWriter(s.stderr)
	n, err := node.New(nc)
	if err != nil {
		return usageErr("%v", err)
	}
	defer n.Close()
	if err := n.Start(); err != nil {
		return usageErr("%v", err)
	}
	g := n.CatchLogs(level, func(from string, r node.LogRecord) {
		fmt.Fprint(s.stdout, formatCaught(time.Now(), from, r))
	})
	defer g.Stop()
	var stop <-chan time.Time
	if s.opts.logsFor > 0 {
		stop = time.After(s.opts.logsFor)
	}
	select {
	case <-s.ctx.Done():
	case <-stop:
	}
	return nil
}

// formatCaught is how a Perl catcher logs a remote record:
// LogCatcher.pm's "[$node$diff] $msg" at the record's level (at least 2,
// so a remote fatal does not end the catcher) in the record's context,
// through AnyEvent::Log's default_format: "$time $level5 $title: $msg",
// continuation lines after " + ".
func formatCaught(now time.Time, from string, r node.LogRecord) string {
	level := max(r.Level, 2)
	if level > 9 {
		level = 9
	}
	diff := ""
	if d := float64(now.UnixMicro())/1e6 - r.Time; d >= 1e-3 || d <= -1e-3 {
		diff = fmt.Sprintf("%+.3fs", d)
	}
	ts := now.Format("2006-01-02 15:04:05.000000 -0700")
	var b strings.Builder
	sep := " "
	text := fmt.Sprintf("%-5s %s: [%s%s] %s", aeLevelNames[level], r.Title, from, diff, r.Message)
	for _, line := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
		b.WriteString(ts + sep + line + "\n")
		sep = " + "
	}
	return b.String()
}
