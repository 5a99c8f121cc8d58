package main

import (
	"sort"
	"strings"
	"sync"

	"github.com/urfave/cli/v2"
)

// Help categories, in the order bin/aemp's manual presents them.
const (
	catProtocol = "1. Protocol commands (talk to other nodes)"
	catRun      = "2. Running a node"
	catIdentity = "3. Config: node ID, secret, certificate"
	catSeeds    = "4. Config: seeds"
	catBinds    = "5. Config: binds"
	catServices = "6. Config: services"
	catProfiles = "7. Config: profiles"
	catLowLevel = "8. Config: low-level transport options"
)

// command is one aemp-go command. Commands with a chain function are
// words of aemp's command chain: they consume their arguments from the
// session and leave the rest to the next command. Commands with first
// instead (run, doctor) only work as the first word, as `aemp run` does.
type command struct {
	name     string
	args     string // argument synopsis for help
	usage    string // one line for `aemp-go help`
	category string
	help     string // longer help text for `aemp-go help NAME`

	chain func(s *session) error
	first func(inv *invocation, c *cli.Context) error

	// flags are parsed by urfave/cli when the command is the first word.
	// Commands without flags take every word after them literally
	// (`aemp-go setsecret -x` sets the secret "-x"), as aemp does.
	flags []cli.Flag
	// apply copies the flags' values into the session options.
	apply func(c *cli.Context, o *options)

	aliases []string
}

var (
	commandsOnce sync.Once
	commandList  []*command
	commandIndex map[string]*command
)

// allCommands returns every command, with aemp's set-less aliases
// filled in.
func allCommands() []*command {
	commandsOnce.Do(func() {
		commandList = append(append(append(protocolCommands(), nodeCommands()...), configCommands()...), lowLevelCommands()...)
		commandIndex = map[string]*command{}
		for _, c := range commandList {
			commandIndex[c.name] = c
		}
		// bin/aemp: `$CMD{$1} ||= $CMD{$_} if /^set(.*)$/` gives every
		// setXXX the alias XXX unless XXX is already a command (so
		// "eval" stays the protocol command, not seteval).
		names := make([]string, 0, len(commandIndex))
		for n := range commandIndex {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			short, ok := strings.CutPrefix(n, "set")
			if !ok || short == "" {
				continue
			}
			if _, taken := commandIndex[short]; taken {
				continue
			}
			c := commandIndex[n]
			c.aliases = append(c.aliases, short)
			commandIndex[short] = c
		}
	})
	return commandList
}

// configCommands are all config commands but the low-level ones.
func configCommands() []*command {
	return append(append(identityCommands(), listCommands()...), profileCommands()...)
}

// lookupCommand finds a command by name or alias.
func lookupCommand(name string) *command {
	allCommands()
	return commandIndex[name]
}
