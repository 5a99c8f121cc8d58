package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// Service is one entry of the "services" list, which a Perl node starts at
// the end of configure (Kernel.pm sub configure, the loop over
// @{ $CONFIG->{services} }). An entry comes in one of two forms:
//
//   - a string "Some::Module::" (ending in "::"): the module is loaded
//     (`require`), which is how `AnyEvent::MP::Global::` starts the global
//     service;
//   - a string "Some::function": the function is called with no arguments;
//   - an array ["Some::function", args...]: the function is called with the
//     arguments. An array is never treated as a module name.
//
// A Go node cannot run Perl functions. It runs Go functions registered
// under the same names instead (ServiceFunc), implements a few Perl
// services itself (BuiltinServices), and refuses the rest (CheckServices).
type Service struct {
	Name string // function name, or module name ending in "::"
	Args []any  // arguments of the array form
	List bool   // written as a JSON array [Name, Args...]
}

// IsModule reports whether the entry loads a module rather than calling a
// function: a plain string that ends in "::".
func (s Service) IsModule() bool { return !s.List && strings.HasSuffix(s.Name, "::") }

// Module returns the module name without the trailing "::".
func (s Service) Module() string { return strings.TrimSuffix(s.Name, "::") }

func (s Service) rcValue() any {
	if !s.List && len(s.Args) == 0 {
		return s.Name
	}
	out := make([]any, 0, 1+len(s.Args))
	out = append(out, s.Name)
	for _, a := range s.Args {
		c, err := toRCValue(a)
		if err != nil {
			c = fmt.Sprint(a)
		}
		out = append(out, c)
	}
	return out
}

// parseService reads one "services" entry.
func parseService(v any) (Service, error) {
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return Service{}, fmt.Errorf("empty service array")
		}
		name, err := perlString(x[0])
		if err != nil {
			return Service{}, fmt.Errorf("service function name: %w", err)
		}
		return Service{Name: name, Args: deepCopy(x[1:]).([]any), List: true}, nil
	default:
		name, err := perlString(v)
		if err != nil {
			return Service{}, err
		}
		return Service{Name: name}, nil
	}
}

func parseServices(v any) ([]Service, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected an array, got %s", describe(v))
	}
	out := make([]Service, 0, len(list))
	for i, e := range list {
		s, err := parseService(e)
		if err != nil {
			return nil, fmt.Errorf("entry %d: %w", i, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// Perl services that a Go node implements itself.
const (
	// GlobalService makes the node a global node (Global.pm); NodeConfig
	// sets node.Config.Global for it.
	GlobalService = "AnyEvent::MP::Global::"
	// LogCatcherService loads LogCatcher.pm, whose connect function a Go
	// node always serves (node.LogCatcherFunc).
	LogCatcherService = "AnyEvent::MP::LogCatcher::"
)

// ServiceFunc is the Go code for one "services" entry: it runs after the
// node is made and before it listens, so the ports and functions it
// creates exist before the first message arrives; args are the extra
// elements of the array form, as message values (numbers int64 or
// float64).
type ServiceFunc func(n *node.Node, args []any) error

// BuiltinServices returns the Perl services a Go node implements itself,
// as a fresh map the caller may extend with its own.
func BuiltinServices() map[string]ServiceFunc {
	done := func(*node.Node, []any) error { return nil }
	return map[string]ServiceFunc{
		GlobalService:     done, // node.Config.Global does the work
		LogCatcherService: done, // every Go node serves it
	}
}

// hasGlobalService reports whether the list loads AnyEvent::MP::Global::
// (only the plain module form does: Perl reads the array form as a
// function to call, which fails).
func hasGlobalService(list []Service) bool {
	return slices.ContainsFunc(list, func(s Service) bool { return s.IsModule() && s.Name == GlobalService })
}

// ErrServiceUnavailable is wrapped by CheckServices' error.
var ErrServiceUnavailable = errors.New("service cannot run in a Go node")

// CheckServices makes sure every entry has Go code in registry before
// anything starts, as Perl's configure dies on a service it cannot load:
// a node that silently skipped a service would look healthy and not do
// its job. The error names every entry that cannot run and why.
func CheckServices(list []Service, registry map[string]ServiceFunc) error {
	var bad []string
	for _, s := range list {
		if _, ok := registry[s.Name]; ok {
			continue
		}
		if s.IsModule() {
			bad = append(bad, fmt.Sprintf("%q is a Perl module, which a Go node cannot load", s.Name))
		} else {
			bad = append(bad, fmt.Sprintf("%q: no Go function is registered under this name; Perl functions cannot run in a Go node", s.Name))
		}
	}
	if len(bad) == 0 {
		return nil
	}
	known := strings.Join(slices.Sorted(maps.Keys(registry)), ", ")
	return fmt.Errorf("%w: %s (Go services: %s)", ErrServiceUnavailable, strings.Join(bad, "; "), known)
}

// RunServices runs the services in order (CheckServices first).
func RunServices(n *node.Node, list []Service, registry map[string]ServiceFunc) error {
	if err := CheckServices(list, registry); err != nil {
		return err
	}
	for _, s := range list {
		args := make([]any, len(s.Args))
		for i, a := range s.Args {
			args[i] = WireValue(a)
		}
		if err := registry[s.Name](n, args); err != nil {
			return fmt.Errorf("service %s: %w", s.Name, err)
		}
	}
	return nil
}

// WireValue converts a value read from the rc file (or JSON arguments)
// into the message value model of package protocol: JSON numbers become
// int64 (uint64 above its range) or float64, recursively.
func WireValue(v any) any {
	return mapLeaves(v, func(leaf any) any {
		if n, ok := leaf.(json.Number); ok {
			return protocol.ParseNumber(n.String())
		}
		return leaf
	})
}
