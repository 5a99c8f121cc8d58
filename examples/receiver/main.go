// Command receiver is the tutorial's receiver (PART 1): it registers a port
// in the database family "eg_receivers" and prints what it is sent.
//
//	receiver [-profile NAME]
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
	n := tut.Configure("eg_receiver/%u")
	defer n.Close()

	port := n.NewPort(nil)
	port.Rcv("test", func(self *node.Port, args []any) {
		fmt.Printf("Received data: %v\n", args[0])
	})
	if _, err := n.DbReg("eg_receivers", port.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("receiver %s ready\n", port.ID())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}
