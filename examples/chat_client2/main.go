// Command chat_client2 is the tutorial's "bridge head" chat client (PART
// 3): it looks up a server node in "eg_chat_server2", spawns its own
// session port there with "::client_connect", and monitors it. Lines on
// standard input go to that port.
//
// The Perl tutorial finds the server with grp_get, which only knows
// anything on global nodes; this client asks its master with DBKeys
// instead, and retries every second until a server is registered.
//
//	chat_client2 [-profile NAME] NICK
package main

import (
	"context"
	"fmt"
	"log"
	"time"

	"github.com/aemp-go/aemp-go/examples/internal/tut"
	"github.com/aemp-go/aemp-go/node"
)

func main() {
	n := tut.Configure("eg_chat_client2/%u")
	nick := tut.Nick()
	defer n.Close()

	var server tut.Server

	var connect func()
	connect = func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		nodes, err := n.DBKeys(ctx, "eg_chat_server2")
		cancel()
		if err != nil || len(nodes) == 0 {
			time.AfterFunc(time.Second, connect)
			return
		}
		fmt.Print("\rconnecting...\n")
		client := n.NewPort(func(self *node.Port, args []any) {
			tut.Show(args)
		})
		n.MonFunc(client.ID(), func(reason []any) {
			fmt.Printf("\rdisconnected %s\n", tut.Words(reason))
			go connect() // not on the handler goroutine: connect waits for DBKeys
		})
		s, err := n.Spawn(nodes[0], "::client_connect", client.ID(), nick)
		if err != nil {
			log.Fatal(err)
		}
		server.Set(s)
		n.MonKill(s, client.ID())
	}
	connect()

	tut.ReadLines(&server, func(port, line string) { n.Snd(port, line) })
}
