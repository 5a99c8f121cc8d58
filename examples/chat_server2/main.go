// Command chat_server2 is the tutorial's "bridge head" chat server (PART
// 3): it creates no port of its own. It registers its node in
// "eg_chat_server2" and lets clients spawn a port on it by calling the
// registered init function "::client_connect" (the name Perl clients use
// for the main program's client_connect).
//
//	chat_server2 [-profile NAME]
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
	n := tut.Configure("eg_chat_server2/%u")
	defer n.Close()

	clients := map[string]bool{} // touched only by handlers and monitors
	msg := func(text string) {
		fmt.Printf("relaying: %s\n", text)
		for c := range clients {
			n.Snd(c, text)
		}
	}
	n.Register("::client_connect", func(self *node.Port, args []any) {
		client, nick := fmt.Sprint(args[0]), fmt.Sprint(args[1])
		n.MonKill(client, self.ID()) // mon $client: the client's crash kills us
		n.MonFunc(client, func(reason []any) {
			delete(clients, client)
			msg(fmt.Sprintf("%s (quits, %s)", nick, tut.Words(reason)))
		})
		clients[client] = true
		msg(nick + " (joins)")
		self.Default(func(self *node.Port, args []any) {
			msg(fmt.Sprintf("%s: %v", nick, args[0]))
		})
	})
	if _, err := n.DbSet("eg_chat_server2", n.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "server ready.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}
