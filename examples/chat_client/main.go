// Command chat_client is the tutorial's chat client with its supervisor
// (PART 2): it waits for a server in "eg_chat_server", joins, prints what
// the server relays, and starts over when the server or the connection
// goes away. Lines on standard input are sent as chat messages.
//
//	chat_client [-profile NAME] NICK
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"sync"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

func main() {
	profile := flag.String("profile", "", "rc file profile (default: the host name)")
	flag.Parse()
	nick := flag.Arg(0)
	if nick == "" {
		nick = "anonymous"
	}
	n, err := compat.Configure(*profile, map[string]any{"nodeid": "eg_chat_client/%u"}, compat.ResolveOptions{}, quiet)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()

	var mu sync.Mutex // the server port is read by the stdin loop
	var server string

	var connect func()
	connect = func() { // the supervisor
		// The monitor's guard is handed over through a channel: the
		// callback may run before DbMon has returned it.
		guard := make(chan *node.Guard, 1)
		found := false
		guard <- n.DbMon("eg_chat_server", func(family map[string]any, _, _, _ []string) {
			if len(family) == 0 || found {
				return
			}
			found = true
			go func() { (<-guard).Stop() }() // stop monitoring
			fmt.Print("\rconnecting...\n")
			client := n.NewPort(func(self *node.Port, args []any) {
				fmt.Printf("\r  \r%s\n> ", join(args))
			})
			n.MonFunc(client.ID(), func(reason []any) {
				fmt.Printf("\rdisconnected %s\n", join(reason))
				connect()
			})
			var s string
			for k := range family {
				s = k
				break
			}
			mu.Lock()
			server = s
			mu.Unlock()
			n.Snd(s, "join", client.ID(), nick)
			n.MonKill(s, client.ID())
		})
	}
	connect()

	fmt.Print("> ")
	in := bufio.NewScanner(os.Stdin)
	for in.Scan() {
		fmt.Print("> ")
		mu.Lock()
		s := server
		mu.Unlock()
		if s != "" {
			n.Snd(s, "privmsg", nick, in.Text())
		}
	}
}

func join(v []any) string {
	s := ""
	for i, x := range v {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprint(x)
	}
	return s
}

// quiet logs only warnings and errors, so the program's own output stays
// readable (AE_VERBOSE-style detail is what aemp-go run is for).
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
