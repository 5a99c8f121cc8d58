// Package tut is what the tutorial programs share: joining the mesh the
// way Perl's `configure` does, and printing values the way Perl prints
// a list.
package tut

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"strings"
	"sync"

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

// Words formats values as Perl's "@list" does: each value as Perl
// stringifies it (3.0 is "3", undef is "", true is "1"), joined by blanks.
// An array or map, which Perl would print as "ARRAY(0x...)", is shown as Go
// prints it.
func Words(v []any) string {
	a := node.Args(v)
	s := make([]string, len(v))
	for i := range v {
		var err error
		if s[i], err = a.String(i); err != nil {
			s[i] = fmt.Sprint(v[i])
		}
	}
	return strings.Join(s, " ")
}

// Nick is the first command-line argument, "anonymous" without one. Call
// it after Configure, which parses the command line.
func Nick() string {
	if nick := flag.Arg(0); nick != "" {
		return nick
	}
	return "anonymous"
}

// Show prints a chat line above the input prompt, as the tutorial's
// clients do.
func Show(line []any) { fmt.Printf("\r  \r%s\n> ", Words(line)) }

// Server holds the port a chat client currently talks to: set by handlers
// and monitors, read by the input loop.
type Server struct {
	mu   sync.Mutex
	port string
}

// Set records the current server port.
func (s *Server) Set(port string) {
	s.mu.Lock()
	s.port = port
	s.mu.Unlock()
}

// Get returns the current server port, "" before the first connection.
func (s *Server) Get() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.port
}

// ReadLines prompts for lines on standard input and hands each one to
// send with the current server port, skipping lines typed while there is
// none. It returns at the end of the input.
func ReadLines(server *Server, send func(port, line string)) {
	fmt.Print("> ")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Print("> ")
		if port := server.Get(); port != "" {
			send(port, in.Text())
		}
	}
}
