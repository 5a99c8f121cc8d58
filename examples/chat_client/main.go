// Command chat_client is the tutorial's chat client with its supervisor
// (PART 2): it waits for a server in "eg_chat_server", joins, prints what
// the server relays, and starts over when the server or the connection
// goes away. Lines on standard input are sent as chat messages.
//
//	chat_client [-profile NAME] NICK
package main

import (
	"fmt"

	"github.com/aemp-go/aemp-go/examples/internal/tut"
	"github.com/aemp-go/aemp-go/node"
)

func main() {
	n := tut.Configure("eg_chat_client/%u")
	nick := tut.Nick()
	defer n.Close()

	var server tut.Server

	var connect func()
	connect = func() { // the supervisor
		// The monitor's guard is handed over through a channel: the
		// callback may run before DBMon has returned it.
		guard := make(chan *node.Guard, 1)
		found := false
		guard <- n.DBMon("eg_chat_server", func(family map[string]any, _, _, _ []string) {
			if len(family) == 0 || found {
				return
			}
			found = true
			go func() { (<-guard).Stop() }() // stop monitoring
			fmt.Print("\rconnecting...\n")
			client := n.NewPort(func(self *node.Port, args []any) {
				tut.Show(args)
			})
			n.MonFunc(client.ID(), func(reason []any) {
				fmt.Printf("\rdisconnected %s\n", tut.Words(reason))
				connect()
			})
			var s string
			for k := range family {
				s = k
				break
			}
			server.Set(s)
			n.Snd(s, "join", client.ID(), nick)
			n.MonKill(s, client.ID())
		})
	}
	connect()

	tut.ReadLines(&server, func(port, line string) { n.Snd(port, "privmsg", nick, line) })
}
