package main

import (
	"fmt"
	"strings"

	"github.com/aemp-go/aemp-go/compat"
)

// profileCommands: profile selection and inheritance, and the two show
// commands.
func profileCommands() []*command {
	return []*command{
		{name: "profile", args: "<name> <command>...", usage: "make the following commands change the named profile (created if needed)", category: catProfiles,
			chain: func(s *session) error {
				name, err := s.needString("profile name is missing")
				if err != nil {
					return err
				}
				sec := s.rc.Profile(name)
				if err := sec.Create(); err != nil {
					return usageErr("%v", err)
				}
				s.cur = sec
				s.dirty = true
				return nil
			}},
		{name: "delprofile", args: "<name>", usage: "delete the named profile", category: catProfiles,
			chain: func(s *session) error {
				name, err := s.needString("profile name is missing")
				if err != nil {
					return err
				}
				s.rc.DeleteProfile(name)
				s.dirty = true
				return nil
			}},
		setRawCmd("setparent", compat.KeyParent, "<name>", "inherit unset values from the named profile", catProfiles, "profile name is missing"),
		delCmd("delparent", compat.KeyParent, "inherit from the global defaults again", catProfiles),
		{name: "showprofile", args: "<name>", usage: "print the named profile's own values (nothing inherited)", category: catProfiles,
			chain: func(s *session) error {
				name, err := s.needString("profile name is missing")
				if err != nil {
					return err
				}
				m := s.rc.Profile(name).Map()
				if m == nil {
					m = map[string]any{}
				}
				return s.printPretty(m)
			}},
		{name: "showconfig", args: "[<name> [<key> <value>...]]", usage: "print the effective config of a profile (default: the host name's)", category: catProfiles,
			help:  "Every word after the name is a key or a value, as for `aemp-go run`; the pairs augment the configuration as configure arguments do.",
			chain: showConfig},
	}
}

// showConfig is aemp's showconfig: Config.pm find_profile with the
// remaining words as key/value arguments, minus the bookkeeping keys
// profile and parent.
func showConfig(s *session) error {
	name := ""
	if len(s.words) > 0 {
		str, ok := scalarString(s.shift())
		if !ok {
			return usageErr("showconfig: the profile name must be a string")
		}
		name = str
	}
	args, err := pairs(s.rest())
	if err != nil {
		return err
	}
	c, err := compat.Resolve(s.rc, name, args, compat.ResolveOptions{})
	if err != nil {
		return usageErr("%v", err)
	}
	delete(c.Raw, "profile")
	delete(c.Raw, compat.KeyParent)
	return s.printPretty(c.Raw)
}

// pairs turns words into configure's key => value arguments. A missing
// last value is undef, as in a Perl hash assignment.
func pairs(words []any) (map[string]any, error) {
	kv := map[string]any{}
	for i := 0; i < len(words); i += 2 {
		k, ok := scalarString(words[i])
		if !ok {
			return nil, usageErr("configuration key %s is not a string", displayArg(words[i]))
		}
		var v any
		if i+1 < len(words) {
			v = words[i+1]
		}
		kv[k] = v
	}
	return kv, nil
}

// printPretty prints m as JSON::XS->new->pretty->encode does. It borrows
// the rc file writer of compat, which reproduces that format (three-space
// indent, " : " separators; keys sorted where Perl's order is random).
func (s *session) printPretty(m map[string]any) error {
	tmp := compat.NewRC()
	doc := tmp.Doc()
	clear(doc)
	for k, v := range m {
		doc[k] = v
	}
	b, err := tmp.Marshal()
	if err != nil {
		return usageErr("%v", err)
	}
	// Marshal adds the extra newline that Config.pm's save writes.
	fmt.Fprint(s.stdout, strings.TrimSuffix(string(b), "\n"))
	return nil
}
