// Command sender is the tutorial's sender (PART 1): it monitors the family
// "eg_receivers" and sends every receiver a "test" message with the time,
// each time the family changes.
//
//	sender [-profile NAME] [-once]
package main

import (
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/aemp-go/aemp-go/examples/internal/tut"
)

func main() {
	once := flag.Bool("once", false, "exit after the first round of messages")
	n := tut.Configure("eg_sender/%u")
	defer n.Close()

	sent := make(chan struct{}, 1)
	n.DBMon("eg_receivers", func(family map[string]any, added, changed, deleted []string) {
		if len(family) == 0 {
			return // no receivers yet
		}
		for port := range family {
			n.Snd(port, "test", time.Now().Unix())
			fmt.Printf("sent to %s\n", port)
		}
		select {
		case sent <- struct{}{}:
		default:
		}
	})

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt)
	select {
	case <-sig:
	case <-sent:
		if *once {
			time.Sleep(200 * time.Millisecond) // let the messages leave
			return
		}
		<-sig
	}
}
