package main

import (
	"fmt"
	"io"

	"github.com/aemp-go/aemp-go/compat"
)

// defaultFirstRunAddr is where a node started without any rc file
// listens, and the seed every node using the new file will look for.
// 4040 is the port AnyEvent::MP's documentation uses for seeds.
const defaultFirstRunAddr = "127.0.0.1:4040"

// firstRunNodeID is the node ID of that first node. A fixed, short name
// rather than the host name, so that the next commands can be typed
// without looking anything up: `aemp-go cal seed time`.
const firstRunNodeID = "seed"

// firstRunProfile holds that seed's settings when run was given no
// profile. Not the host name's profile: that is every program's default
// profile (Perl's configure and aemp-go's examples alike), and the rc file
// wins over their own arguments, so every program on the host would
// become "seed" and try to listen on the seed's port.
const firstRunProfile = "seed"

// firstRunBinds is where every other node using the new file listens:
// loopback, any port. (Perl's default, "*", would mean every non-loopback
// address of the host.)
const firstRunBinds = "127.0.0.1:0"

// firstRun writes a new rc file for `aemp-go run` on a machine that has
// none, so that the first node is useful at once: a local seed that
// other nodes on this host (Perl or Go, since they share the file) find
// and authenticate to without further setup.
//
//   - secret: a new shared secret, at the top level so every profile
//     (including aemp's own "aemp" profile) inherits it;
//   - seeds: [addr], also at the top level, for the same reason;
//   - binds: ["127.0.0.1:0"] at the top level: other nodes on this host
//     listen on loopback;
//   - profile <name> ("seed" unless run named one): nodeid "seed", binds
//     [addr].
func firstRun(w io.Writer, path, profile, addr string) error {
	rc := compat.NewRC()
	g := rc.Global()
	p := rc.Profile(profile)
	for _, err := range []error{
		g.SetSecret(compat.GenSecret()),
		g.SetSeeds(addr),
		g.SetBinds(firstRunBinds),
		p.SetNodeID(firstRunNodeID),
		p.SetBinds(addr),
	} {
		if err != nil {
			return usageErr("creating a config: %v", err)
		}
	}
	if err := rc.Save(path); err != nil {
		return usageErr("cannot create %s: %v", path, err)
	}
	fmt.Fprintf(w, `aemp-go: there was no config file, so I created %s with:
  - a new random shared secret (every node using this file shares it)
  - seeds ["%s"] and binds ["%s"] for every profile
  - profile %q: node ID %q, listening on %s, i.e. a local seed node
aemp-go: other nodes on this host that use this file find each other through it;
         try "aemp-go cal %s time" in another terminal.
`, path, addr, firstRunBinds, profile, firstRunNodeID, addr, firstRunNodeID)
	return nil
}
