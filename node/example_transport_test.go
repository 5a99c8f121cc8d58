package node_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// Two nodes on one in-memory network, as a test would run them: no
// sockets, the same handshake and protocol as over TCP.
func ExampleNewMemTransport() {
	mem := node.NewMemTransport()
	server, _ := node.New(node.Config{NodeID: "server", Secret: "s", Binds: []string{"127.0.0.1:0"}, Transport: mem})
	defer server.Close()
	server.Start()
	client, _ := node.New(node.Config{NodeID: "client", Secret: "s", Transport: mem})
	defer client.Close()
	client.Start()
	client.AddAddress("server", server.Binds()...)

	echo := server.NewPort(func(self *node.Port, args []any) {
		server.Snd(args[1].(string), "echo", args[0])
	})
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	reply, err := client.Cal(ctx, echo.ID(), "hello")
	fmt.Println(reply, err)
	// Output: [echo hello] <nil>
}
