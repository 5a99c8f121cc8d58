package main

import (
	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

// services maps service names, as written in the rc file, to Go code: a
// Perl node loads a module ("Name::") or calls a function ("Name::func",
// or ["Name::func", args...]) for each entry; a Go node can run neither,
// so aemp-go runs Go functions registered here under those same names
// (compat.BuiltinServices, and the extra ones below). To add one, build
// aemp-go with another entry here.
func services() map[string]compat.ServiceFunc {
	m := compat.BuiltinServices()
	// An example service: the function AempGo::Echo::echo, callable
	// from any node, replies with its arguments:
	//   aemp-go cal NODE AempGo::Echo::echo a b   prints "a","b"
	m["AempGo::Echo::"] = startEcho
	return m
}

// echoFunc is the name of the function the example service registers.
const echoFunc = "AempGo::Echo::echo"

func startEcho(n *node.Node, _ []any) error {
	n.Register(echoFunc, func(_ *node.Port, args []any) {
		if len(args) == 0 {
			return
		}
		reply, _ := args[len(args)-1].(string)
		n.Snd(reply, args[:len(args)-1]...)
	})
	return nil
}
