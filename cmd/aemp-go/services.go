package main

import (
	"maps"
	"slices"
	"strings"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
)

// Service is the Go side of one entry of a profile's "services" list. A
// Perl node loads a module ("Name::") or calls a function ("Name::func",
// or ["Name::func", args...]) for each entry; a Go node can run neither,
// so aemp-go runs Go functions registered here under those same names.
// It is called before the node starts listening, so that the ports and
// functions it makes exist before the first message can arrive; args are
// the extra elements of the array form.
type Service func(n *node.Node, args []any) error

// services maps service names, as written in the rc file, to Go code.
// To add one, build aemp-go with another entry here.
var services = map[string]Service{
	// Perl 2.x starts the global service itself on seed nodes; the Go
	// kernel does the same (a node that finds its own address among its
	// seeds is global), so listing the module is harmless and needs no
	// code.
	"AnyEvent::MP::Global::": func(*node.Node, []any) error { return nil },
	// An example service: the function AempGo::Echo::echo, callable
	// from any node, replies with its arguments:
	//   aemp-go cal NODE AempGo::Echo::echo a b   prints "a","b"
	"AempGo::Echo::": startEcho,
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

// checkServices makes sure every entry has Go code before anything
// starts: a node that silently skipped a service would look healthy and
// not do its job.
func checkServices(list []compat.Service) error {
	for _, s := range list {
		if _, ok := services[s.Name]; ok {
			continue
		}
		known := strings.Join(slices.Sorted(maps.Keys(services)), ", ")
		if s.IsModule() {
			return usageErr("service %q is a Perl module, which a Go node cannot load (Go services: %s)", s.Name, known)
		}
		return usageErr("service %q: no Go function is registered under this name; Perl functions cannot run in a Go node (Go services: %s)", s.Name, known)
	}
	return nil
}

// startServices runs the services in order.
func startServices(n *node.Node, list []compat.Service) error {
	for _, s := range list {
		if err := services[s.Name](n, wireValues(s.Args)); err != nil {
			return usageErr("service %s: %v", s.Name, err)
		}
	}
	return nil
}
