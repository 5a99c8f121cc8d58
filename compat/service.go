package compat

import (
	"fmt"
	"strings"
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
// A Go node cannot run Perl functions; it should recognise the services it
// implements itself (e.g. AnyEvent::MP::Global::) and report the others.
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
