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

	room := &tut.Room{
		Snd: n.Snd,
		Mon: func(port string, cb func([]any)) { n.MonFunc(port, cb) },
		Log: os.Stdout,
	}
	n.Register("::client_connect", func(self *node.Port, args []any) {
		a := node.Args(args) // my ($client, $nick) = @_
		client, nick := a.StringOr(0, ""), a.StringOr(1, "")
		n.MonKill(client, self.ID()) // mon $client: the client's crash kills us
		room.Join(client, nick)
		self.Default(say(room, nick))
	})
	if _, err := n.DBSet("eg_chat_server2", n.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "server ready.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

// say is the session port's handler: every message is a chat line,
// relayed as "$nick: $_[0]".
func say(room *tut.Room, nick string) node.Handler {
	return func(_ *node.Port, args []any) {
		room.Say(nick, node.Args(args).StringOr(0, ""))
	}
}
