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

	room := &tut.Room{
		Snd: n.Snd,
		Mon: func(port string, cb func([]any)) { n.MonFunc(port, cb) },
		Log: os.Stdout,
	}
	server := n.NewPort(nil)
	server.Rcv("join", join(room))
	server.Rcv("privmsg", privmsg(room))
	if _, err := n.DBSet("eg_chat_server", server.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(os.Stderr, "server ready.")

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

// join handles ["join", $client, $nick]: Perl's `my ($client, $nick) = @_`.
// A nick a Perl client sends as a number (it was typed as "42") arrives as
// 42 and is the string "42" here, as it is in Perl.
func join(room *tut.Room) node.Handler {
	return func(_ *node.Port, args []any) {
		var m struct{ Client, Nick string }
		if err := node.Args(args).DecodeAll(&m); err != nil {
			log.Printf("join: %v", err)
			return
		}
		room.Join(m.Client, m.Nick)
	}
}

// privmsg handles ["privmsg", $nick, $msg] and relays "$nick: $msg".
func privmsg(room *tut.Room) node.Handler {
	return func(_ *node.Port, args []any) {
		a := node.Args(args)
		room.Say(a.StringOr(0, ""), a.StringOr(1, ""))
	}
}
