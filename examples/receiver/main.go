// Command receiver is the tutorial's receiver (PART 1): it registers a port
// in the database family "eg_receivers" and prints what it is sent.
//
//	receiver [-profile NAME]
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

func main() {
	profile := flag.String("profile", "", "rc file profile (default: the host name, as Perl's configure)")
	flag.Parse()
	n, err := compat.Configure(*profile, map[string]any{"nodeid": "eg_receiver/%u"}, compat.ResolveOptions{}, quiet)
	if err != nil {
		log.Fatal(err)
	}
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

// quiet logs only warnings and errors, so the program's own output stays
// readable (AE_VERBOSE-style detail is what aemp-go run is for).
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
