// Command chat_server is the tutorial's chat server (PART 2): clients join
// with their port and nick, every message is relayed to all clients, and a
// monitor on each client announces when it quits.
//
//	chat_server [-profile NAME]
package main

import (
	"fmt"
	"log"
	"os"
	"os/signal"

	"github.com/aemp-go/aemp-go/examples/internal/tut"
	"github.com/aemp-go/aemp-go/node"
)

func main() {
	n := tut.Configure("eg_chat_server/%u")
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
		client, nick := tut.Arg(args, 0), tut.Arg(args, 1)
		clients[client] = true
		n.MonFunc(client, func(reason []any) {
			delete(clients, client)
			msg(fmt.Sprintf("%s (quits, %s)", nick, tut.Words(reason)))
		})
		msg(nick + " (joins)")
	})
	server.Rcv("privmsg", func(self *node.Port, args []any) {
		msg(fmt.Sprintf("%s: %s", tut.Arg(args, 0), tut.Arg(args, 1)))
	})
	if _, err := n.DbSet("eg_chat_server", server.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "server ready.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}
