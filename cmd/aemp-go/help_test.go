package main

import (
	"strings"
	"testing"
)

// `aemp-go help` lists every command with its one-line description, and
// every command has its own help.
func TestHelpListsEveryCommand(t *testing.T) {
	tempRC(t, "")
	r := mustAemp(t, "help")
	for _, c := range allCommands() {
		if c.usage == "" {
			t.Errorf("%s has no description", c.name)
		}
		if !strings.Contains(r.stdout, c.name) || !strings.Contains(r.stdout, c.usage) {
			t.Errorf("help does not list %s: %s", c.name, c.usage)
		}
		for _, h := range [][]string{{"help", c.name}, {c.name, "--help"}, {c.name, "-h"}} {
			hr := aemp(t, h...)
			if hr.code != 0 || !strings.Contains(hr.stdout, "aemp-go "+c.name+" - "+c.usage) {
				t.Errorf("%q: exit %d, %q", h, hr.code, hr.stdout)
			}
		}
	}
	for _, alias := range []string{"secret", "seeds"} {
		contains(t, "help", r.stdout, alias)
	}
	if r := mustAemp(t, "--version"); !strings.Contains(r.stdout, version) {
		t.Errorf("version: %q", r.stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	tempRC(t, "")
	for _, args := range [][]string{{}, {"nosuch"}, {"--nosuchflag", "cal"}, {"trace", "--nosuchflag", "x"}, {"--timeout", "x", "cal"}} {
		if r := aemp(t, args...); r.code != exitUsage || r.stderr == "" {
			t.Errorf("%q: exit %d stderr %q", args, r.code, r.stderr)
		}
	}
	// "--help" after other words is an argument, as aemp takes it.
	path := tempRC(t, "")
	mustAemp(t, "secret", "x", "secret", "--help")
	wantJSON(t, path, `{"version":1,"secret":"--help"}`)
}
