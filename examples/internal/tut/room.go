package tut

import (
	"fmt"
	"io"
)

// Room is what both chat servers keep: the clients that joined, and the
// tutorial's texts, "$nick (joins)", "$nick: $msg" and "$nick (quits, @_)",
// relayed to every client. Handlers and monitor callbacks run one at a
// time on the node's loop, so it needs no lock.
type Room struct {
	// Snd sends a message (node.Node.Snd).
	Snd func(port string, msg ...any) error
	// Mon calls cb with the reason when port goes away (node.Node.MonFunc).
	Mon func(port string, cb func(reason []any))
	// Log gets a "relaying: ..." line for every text, as the Perl server prints.
	Log io.Writer

	clients map[string]bool
}

// Join adds client under nick, announces it, and announces its departure
// when its monitor fires.
func (r *Room) Join(client, nick string) {
	if r.clients == nil {
		r.clients = map[string]bool{}
	}
	r.clients[client] = true
	r.Mon(client, func(reason []any) {
		delete(r.clients, client)
		r.relay(fmt.Sprintf("%s (quits, %s)", nick, Words(reason)))
	})
	r.relay(nick + " (joins)")
}

// Say relays one chat line from nick.
func (r *Room) Say(nick, text string) { r.relay(nick + ": " + text) }

func (r *Room) relay(text string) {
	fmt.Fprintf(r.Log, "relaying: %s\n", text)
	for c := range r.clients {
		r.Snd(c, text)
	}
}
