package compat_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/aemp-go/aemp-go/compat"
)

// withEnv sets an environment variable for one example and returns the
// function that restores it (examples cannot use t.Setenv).
func withEnv(key, value string) (restore func()) {
	old, had := os.LookupEnv(key)
	os.Setenv(key, value)
	return func() {
		if had {
			os.Setenv(key, old)
		} else {
			os.Unsetenv(key)
		}
	}
}

// RCPath finds the rc file as Perl's Config.pm does: $PERL_ANYEVENT_MP_RC
// when it is set, else ~/.perl-anyevent-mp.
func ExampleRCPath() {
	home, _ := os.MkdirTemp("", "aemp-home")
	defer os.RemoveAll(home)
	defer withEnv("HOME", home)()
	restore := withEnv("PERL_ANYEVENT_MP_RC", "")
	os.Unsetenv("PERL_ANYEVENT_MP_RC") // unset, not empty: a set but empty value wins
	fmt.Println(compat.RCPath() == filepath.Join(home, ".perl-anyevent-mp"))
	restore()

	defer withEnv("PERL_ANYEVENT_MP_RC", "/etc/aemp.rc")()
	fmt.Println(compat.RCPath())
	// Output:
	// true
	// /etc/aemp.rc
}

// Reading and writing the rc file that Perl's `aemp` tool writes: the same
// JSON, the same layout, and a file holding a secret is saved 0600.
func ExampleLoadRC() {
	dir, _ := os.MkdirTemp("", "aemp-rc")
	defer os.RemoveAll(dir)
	defer withEnv("PERL_ANYEVENT_MP_RC", filepath.Join(dir, "rc"))()

	// What `aemp gensecret; aemp profile seed setbinds 127.0.0.1:4040` leaves.
	rc := compat.NewRC()
	rc.Global().SetSecret("0123456789abcdefghijklmnopqrstuv")
	rc.Global().SetSeeds("127.0.0.1:4040")
	rc.Profile("seed").SetBinds("127.0.0.1:4040")
	if err := rc.Save(compat.RCPath()); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := os.Stat(compat.RCPath())
	fmt.Println("mode:", st.Mode().Perm())

	rc, err := compat.LoadRC(compat.RCPath())
	if err != nil {
		fmt.Println(err)
		return
	}
	binds, _ := rc.Profile("seed").Binds()
	seeds, _ := rc.Global().Seeds()
	fmt.Println("profiles:", rc.ProfileNames(), "binds:", binds, "seeds:", seeds)
	// Output:
	// mode: -rw-------
	// profiles: [seed] binds: [127.0.0.1:4040] seeds: [127.0.0.1:4040]
}

// Resolve merges the built-in defaults, configure's arguments, the rc file's
// top level and the profile's parent chain, in Perl's order: the rc file
// wins over the arguments unless Force is set.
func ExampleResolve() {
	rc, err := compat.ParseRC([]byte(`{
	   "version": 1,
	   "secret": "top-level-secret",
	   "seeds": ["127.0.0.1:4040"],
	   "profile": {
	      "workers": { "monitor_timeout": 10 },
	      "worker1": { "parent": "workers", "binds": ["127.0.0.1:4041"] }
	   }
	}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	args := map[string]any{"nodeid": "worker/%u", "monitor_timeout": 5}
	c, err := compat.Resolve(rc, "worker1", args, compat.ResolveOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("node ID template:", c.NodeID)
	fmt.Println("binds:", c.Binds, "seeds:", c.Seeds, "secret:", c.Secret)
	fmt.Println("monitor_timeout:", c.MonitorTimeout, "(the parent profile beats the argument)")
	fmt.Println("framings:", c.FramingFormat, "auth:", c.AuthOffer)

	// NodeConfig turns it into a node.Config: the template expanded, the
	// framings Go speaks, seconds as durations.
	nc, err := compat.NodeConfig(c)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("node:", strings.HasPrefix(nc.NodeID, "worker/"), nc.Randomised, nc.Framings, nc.MonitorTimeout)
	// Output:
	// node ID template: worker/%u
	// binds: [127.0.0.1:4041] seeds: [127.0.0.1:4040] secret: top-level-secret
	// monitor_timeout: 10 (the parent profile beats the argument)
	// framings: [cbor json storable] auth: [tls_sha3_512 hmac_sha3_512]
	// node: true true [cbor json] 10s
}

// Node ID templates as Kernel.pm configure expands them: %n is the host
// name, %u and a trailing "/" a random part (the same one each time).
// A node with a random part names its ports without the per-process prefix.
func ExampleExpandNodeID() {
	for _, tmpl := range []string{"seed", "%n/worker", "eg_receiver/%u", "chat/", "anon/%u/%u"} {
		id, randomized := compat.ExpandNodeID(tmpl, "myhost", "Xy12")
		fmt.Printf("%-15s -> %-18s randomized=%v\n", tmpl, id, randomized)
	}
	// Output:
	// seed            -> seed               randomized=false
	// %n/worker       -> myhost/worker      randomized=false
	// eg_receiver/%u  -> eg_receiver/Xy12   randomized=true
	// chat/           -> chat/Xy12          randomized=true
	// anon/%u/%u      -> anon/Xy12/Xy12     randomized=true
}

// Configure is Perl's configure: read the rc file, resolve the profile, start
// the node. Here the rc file lives in a temporary directory and the node
// listens on a free loopback port.
func ExampleConfigure() {
	dir, _ := os.MkdirTemp("", "aemp-rc")
	defer os.RemoveAll(dir)
	defer withEnv("PERL_ANYEVENT_MP_RC", filepath.Join(dir, "rc"))()
	rc := compat.NewRC()
	rc.Global().SetSecret("0123456789abcdefghijklmnopqrstuv")
	rc.Profile("example").SetBinds("127.0.0.1:0")
	if err := rc.Save(compat.RCPath()); err != nil {
		fmt.Println(err)
		return
	}

	n, err := compat.Configure("example", map[string]any{"nodeid": "example/%u"}, compat.ResolveOptions{}, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()
	fmt.Println(strings.HasPrefix(n.ID(), "example/"), len(n.Binds()))
	// Output:
	// true 1
}
