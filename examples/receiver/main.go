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
		fmt.Println(received(args))
	})
	if _, err := n.DBReg("eg_receivers", port.ID(), nil); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("receiver %s ready\n", port.ID())

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	<-sig
}

// received is the line Perl's receiver prints for ["test", $data]:
// "Received data: $data". The sender sends the time; a Perl sender's
// time as a float (1732870000.0) prints as 1732870000, as Perl prints it,
// and a missing value as "" (undef).
func received(args []any) string {
	return "Received data: " + node.Args(args).StringOr(0, "")
}
