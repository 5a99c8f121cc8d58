// Command first_message is the tutorial's first example: a message passed
// to a port on the local node. It prints "Ending with: 123".
package main

import (
	"fmt"
	"log"

	"github.com/aemp-go/aemp-go/node"
)

func main() {
	n, err := node.New(node.Config{NodeID: "first_message"})
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()

	end := make(chan any)
	port := n.NewPort(nil)
	port.Rcv("test", func(self *node.Port, args []any) {
		end <- args[0]
	})
	n.Snd(port.ID(), "test", 123)

	fmt.Println("Ending with:", <-end)
}
