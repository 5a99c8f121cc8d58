// Command sender is the tutorial's sender (PART 1): it monitors the family
// "eg_receivers" and sends every receiver a "test" message with the time,
// each time the family changes.
//
//	sender [-profile NAME] [-once]
package main

import (
	"flag"
	"fmt"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"github.com/aemp-go/aemp-go/compat"
)

func main() {
	profile := flag.String("profile", "", "rc file profile (default: the host name)")
	once := flag.Bool("once", false, "exit after the first round of messages")
	flag.Parse()
	n, err := compat.Configure(*profile, map[string]any{"nodeid": "eg_sender/%u"}, compat.ResolveOptions{}, quiet)
	if err != nil {
		log.Fatal(err)
	}
	defer n.Close()

	sent := make(chan struct{}, 1)
	n.DbMon("eg_receivers", func(family map[string]any, added, changed, deleted []string) {
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

// quiet logs only warnings and errors, so the program's own output stays
// readable (AE_VERBOSE-style detail is what aemp-go run is for).
var quiet = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
