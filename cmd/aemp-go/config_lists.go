package main

import (
	"github.com/aemp-go/aemp-go/compat"
)

// listCommands: seeds, binds and services, whose set commands take a
// comma-separated list or a JSON value.
func listCommands() []*command {
	return []*command{
		setListCmd("setseeds", compat.KeySeeds, "<host:port>,...", "set the seed addresses (srv:NAME for DNS SRV seeds; \"\" for none)", catSeeds, "seed addresses missing"),
		delCmd("delseeds", compat.KeySeeds, "remove the seeds (inherit them again)", catSeeds),
		listEditCmd("addseed", "<host:port>", "add a seed address (moving it to the end if present)", catSeeds, "seed address missing", (*compat.Section).AddSeed),
		listEditCmd("delseed", "<host:port>", "remove a seed address", catSeeds, "seed address missing", (*compat.Section).DelSeed),

		setListCmd("setbinds", compat.KeyBinds, "<host:port>,...", "set the listen addresses (\"*\" hosts/ports allowed)", catBinds, "bind addresses missing"),
		delCmd("delbinds", compat.KeyBinds, "remove the binds (inherit them again)", catBinds),
		listEditCmd("addbind", "<host:port>", "add a listen address (moving it to the end if present)", catBinds, "bind address missing", (*compat.Section).AddBind),
		listEditCmd("delbind", "<host:port>", "remove a listen address", catBinds, "bind address missing", (*compat.Section).DelBind),

		setListCmd("setservices", compat.KeyServices, "<initfunc>,...", "set the services to start (comma list or JSON array)", catServices, "service specifications missing"),
		delCmd("delservices", compat.KeyServices, "remove the services (inherit them again)", catServices),
		{name: "addservice", args: "<initfunc>", usage: "add a service (a name, or a JSON array [name, args...])", category: catServices,
			chain: addService},
		{name: "delservice", args: "<initfunc>", usage: "remove the first service entry with that name", category: catServices,
			chain: func(s *session) error {
				v, err := s.need("service specification missing")
				if err != nil {
					return err
				}
				s.dirty = true
				// aemp compares with eq, so an array argument never
				// matches anything.
				if name, ok := scalarString(v); ok {
					if err := s.cur.DelService(name); err != nil {
						return usageErr("%v", err)
					}
				}
				return nil
			}},
		setRawCmd("seteval", compat.KeyEval, "<perl code>", "set Perl code a Perl node evaluates at start (Go nodes ignore it)", catServices, "eval string missing"),
		delCmd("deleval", compat.KeyEval, "remove the eval string", catServices),
	}
}

// setListCmd is aemp's setseeds/setbinds/setservices: a JSON array (or
// any other JSON reference) is stored as it is, anything else is split on
// commas, so "" gives the empty list.
func setListCmd(name, key, args, usage, category, missing string) *command {
	return &command{name: name, args: args, usage: usage, category: category,
		chain: func(s *session) error {
			v, err := s.need(missing)
			if err != nil {
				return err
			}
			if isRef(v) {
				return s.setValue(key, v)
			}
			str, _ := scalarString(v)
			return s.setValue(key, splitComma(str))
		}}
}

// listEditCmd adds or removes one address.
func listEditCmd(name, args, usage, category, missing string, edit func(*compat.Section, string) error) *command {
	return &command{name: name, args: args, usage: usage, category: category,
		chain: func(s *session) error {
			addr, err := s.needString(missing)
			if err != nil {
				return err
			}
			if err := edit(s.cur, addr); err != nil {
				return usageErr("%v", err)
			}
			s.dirty = true
			return nil
		}}
}

// addService appends one service entry; unlike addbind it keeps
// duplicates, since each entry starts one instance.
func addService(s *session) error {
	v, err := s.need("service specification missing")
	if err != nil {
		return err
	}
	var svc compat.Service
	switch x := v.(type) {
	case []any:
		if len(x) == 0 {
			return usageErr("addservice: empty service array")
		}
		name, ok := scalarString(x[0])
		if !ok {
			return usageErr("addservice: the first array element must be the function name")
		}
		svc = compat.Service{Name: name, Args: x[1:], List: true}
	default:
		name, ok := scalarString(v)
		if !ok {
			return usageErr("addservice: expected a name or an array, got %s", displayArg(v))
		}
		svc = compat.Service{Name: name}
	}
	if err := s.cur.AddService(svc); err != nil {
		return usageErr("%v", err)
	}
	s.dirty = true
	return nil
}
