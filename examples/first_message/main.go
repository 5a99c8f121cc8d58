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

	end := make(chan int64)
	port := n.NewPort(nil)
	port.Rcv("test", func(self *node.Port, args []any) {
		v, err := node.Args(args).Int(0) // 123 whether it came as 123, "123" or 123.0
		if err != nil {
			log.Print(err)
		}
		end <- v
	})
	n.Snd(port.ID(), "test", 123)

	fmt.Println("Ending with:", <-end)
}
