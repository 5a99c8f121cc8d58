// Command chat_server is the tutorial's chat server (PART 2): clients join
// with their port and nick, every message is relayed to all clients, and a
// monitor on each client announces when it quits.
//
//	chat_server [-profile NAME]
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

func main() {
	profile := flag.String("profile", "", "rc file profile (default: the host name)")
	flag.Parse()
	n, err := compat.Configure(*profile, map[string]any{"nodeid": "eg_chat_server/%u"}, compat.ResolveOptions{}, quiet)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()

	// Handlers run one at a time, so the client set needs no lock.
	clients := map[string]bool{}
	msg := func(text string) {
		fmt.Printf("relaying: %s\n", text)
		for c := range clients {
			n.Snd(c, text)
		}
	}

	server := n.NewPort(nil)
	server.Rcv("join", func(self *node.Port, args []any) {
		client, nick := str(args, 0), str(args, 1)
		clients[client] = true
		n.MonFunc(client, func(reason []any) {
			delete(clients, client)
			msg(fmt.Sprintf("%s (quits, %s)", nick, join(reason)))
		})
		msg(nick + " (joins)")
	})
	server.Rcv("privmsg", func(self *node.Port, args []any) {
		msg(fmt.Sprintf("%s: %s", str(args, 0), str(args, 1)))
	})
	if _, err := n.DbSet("eg_chat_server", server.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "server ready.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

func str(args []any, i int) string {
	if i < len(args) {
		return fmt.Sprint(args[i])
	}
	return ""
}

// join formats a kill reason as Perl's "@_" does.
func join(reason []any) string {
	s := ""
	for i, r := range reason {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprint(r)
	}
	return s
}

// quiet logs only warnings and errors, so the program's own output stays
// readable (AE_VERBOSE-style detail is what aemp-go run is for).
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
