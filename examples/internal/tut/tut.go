// Package tut is what the tutorial programs share: joining the mesh the
// way Perl's `configure` does, and printing values the way Perl prints
// a list.
package tut

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

var profile = flag.String("profile", "", "rc file profile (default: the host name, as Perl's configure)")

// Configure parses the command line and starts a node from the rc file,
// with nodeID (a template such as "eg_receiver/%u") as configure's
// argument: the profile's own nodeid, if it has one, wins, as in Perl.
// It exits the program when the node cannot start.
func Configure(nodeID string) *node.Node {
	flag.Parse()
	n, err := compat.Configure(*profile, map[string]any{"nodeid": nodeID}, compat.ResolveOptions{}, quiet)
	if err != nil {
		log.Fatal(err)
	}
	return n
}

// quiet logs only warnings and errors, so the program's own output stays
// readable (aemp-go run is the place for AE_VERBOSE-style detail).
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))

// Words formats values as Perl's "@list" does: joined by blanks.
func Words(v []any) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, " ")
}

// Arg returns args[i] as a string ("" when missing).
func Arg(args []any, i int) string {
	if i < len(args) {
		return fmt.Sprint(args[i])
	}
	return ""
}
