package compat

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func loadFixtureRC(t *testing.T) *RC {
	t.Helper()
	rc, err := ParseRC(readFixture(t, "config-final-cbor-default.json"))
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func TestResolveFixtureProfiles(t *testing.T) {
	rc := loadFixtureRC(t)
	seeds := []string{"127.0.0.1:4040"}
	for _, tc := range []struct {
		profile string
		args    map[string]any
		nodeID  string
		binds   []string
		seeds   []string
	}{
		{"seed", nil, "seed", []string{"127.0.0.1:4040"}, seeds},
		{"seed2", nil, "seed2", []string{"127.0.0.1:4043"}, []string{"127.0.0.1:4040", "127.0.0.1:4043"}},
		{"recv", nil, "recv", []string{"127.0.0.1:4041"}, seeds},
		// What the aemp CLI's own node resolves to (bin/aemp sub init).
		{AempProfile, map[string]any{"nodeid": AempNodeID}, "aemp/%n/%u", []string{"127.0.0.1:0"}, seeds},
		// No such profile: "<profile>/" and the default binds.
		{"nosuch", nil, "nosuch/", []string{"*"}, seeds},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			c, err := Resolve(rc, tc.profile, tc.args, ResolveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.NodeID != tc.nodeID || !reflect.DeepEqual(c.Binds, tc.binds) || !reflect.DeepEqual(c.Seeds, tc.seeds) {
				t.Errorf("got nodeid %q binds %q seeds %q", c.NodeID, c.Binds, c.Seeds)
			}
			if c.Secret != fixtureSecret {
				t.Errorf("secret not inherited from the global level: %q", c.Secret)
			}
			if !reflect.DeepEqual(c.FramingFormat, []string{"cbor", "json", "storable"}) ||
				!reflect.DeepEqual(c.AuthOffer, []string{"tls_sha3_512", "hmac_sha3_512"}) ||
				!reflect.DeepEqual(c.AuthAccept, []string{"tls_sha3_512", "hmac_sha3_512", "tls_anon", "cleartext"}) ||
				c.MonitorTimeout != 30 || c.ConnectInterval != 2 {
				t.Errorf("built-in defaults wrong: %+v", c)
			}
			if c.HasCert || c.Secure || c.Autocork || !c.Nodelay || len(c.Services) != 0 || c.Eval != "" {
				t.Errorf("unset keys wrong: %+v", c)
			}
			if c.Raw["version"] == nil || c.Raw["profile"] == nil {
				t.Error("Raw should hold the global keys as Perl's $CONFIG does")
			}
		})
	}
}

func TestResolveDoesNotAlias(t *testing.T) {
	rc := loadFixtureRC(t)
	c, err := Resolve(rc, "seed", nil, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.Raw["binds"].([]any)[0] = "changed"
	c.Binds[0] = "changed"
	if b, _ := rc.Profile("seed").Binds(); b[0] != "127.0.0.1:4040" {
		t.Error("Resolve result aliases the RC")
	}
}

// TestResolveDefaultsAreFresh: a caller that edits the default lists it got,
// directly or in a resolved Config, changes nothing for the next caller.
func TestResolveDefaultsAreFresh(t *testing.T) {
	ff, b := DefaultFramingFormat(), DefaultBinds()
	ff[0], b[0] = "mutated", "mutated"
	c, err := Resolve(NewRC(), "nosuch", nil, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.FramingFormat[0], c.AuthOffer[0], c.AuthAccept[0], c.Binds[0] = "mutated", "mutated", "mutated", "mutated"
	c, err = Resolve(NewRC(), "nosuch", nil, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.FramingFormat, []string{"cbor", "json", "storable"}) ||
		!reflect.DeepEqual(c.AuthOffer, []string{"tls_sha3_512", "hmac_sha3_512"}) ||
		!reflect.DeepEqual(c.AuthAccept, []string{"tls_sha3_512", "hmac_sha3_512", "tls_anon", "cleartext"}) ||
		!reflect.DeepEqual(c.Binds, []string{"*"}) {
		t.Errorf("defaults changed by an earlier caller: %q %q %q %q", c.FramingFormat, c.AuthOffer, c.AuthAccept, c.Binds)
	}
}

func chainRC(t *testing.T) *RC {
	rc, err := ParseRC([]byte(`{
   "version" : 1,
   "secret" : "global-secret",
   "seeds" : ["g:1"],
   "eval" : "1",
   "parent" : "c",
   "profile" : {
      "a" : { "parent" : "b", "nodeid" : "a-%n" },
      "b" : { "parent" : "c", "seeds" : ["b:1"], "binds" : ["b:2"] },
      "c" : { "binds" : ["c:2"], "secret" : "c-secret", "secure" : 1, "parent" : null },
      "d" : { "parent" : "missing", "binds" : ["d:2"] },
      "loop1" : { "parent" : "loop2" },
      "loop2" : { "parent" : "loop1" },
      "self" : { "parent" : "self" },
      "arr" : { "parent" : ["x"] },
      "str" : "not an object",
      "e" : { "parent" : "str", "nodeid" : "e" }
   }
}`))
	if err != nil {
		t.Fatal(err)
	}
	return rc
}

func TestResolveParentChain(t *testing.T) {
	rc := chainRC(t)
	for _, tc := range []struct {
		profile        string
		nodeID, secret string
		binds, seeds   []string
		secure         bool
	}{
		// a -> b -> c -> global: nearest wins per key.
		{"a", "a-%n", "c-secret", []string{"b:2"}, []string{"b:1"}, true},
		{"b", "b/", "c-secret", []string{"b:2"}, []string{"b:1"}, true},
		{"c", "c/", "c-secret", []string{"c:2"}, []string{"g:1"}, true},
		// A missing parent is empty and ends at the global level; the
		// global level's own "parent" is never followed.
		{"d", "d/", "global-secret", []string{"d:2"}, []string{"g:1"}, false},
		// A non-object profile is empty (Perl: symbolic hash ref).
		{"e", "e", "global-secret", []string{"*"}, []string{"g:1"}, false},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			c, err := Resolve(rc, tc.profile, nil, ResolveOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if c.NodeID != tc.nodeID || c.Secret != tc.secret || !reflect.DeepEqual(c.Binds, tc.binds) ||
				!reflect.DeepEqual(c.Seeds, tc.seeds) || c.Secure != tc.secure || c.Eval != "1" {
				t.Errorf("got nodeid %q secret %q binds %q seeds %q secure %v eval %q",
					c.NodeID, c.Secret, c.Binds, c.Seeds, c.Secure, c.Eval)
			}
		})
	}
	for _, tc := range []struct{ profile, want string }{
		{"loop1", "profile parent loop: loop1 -> loop2 -> loop1"},
		{"self", "profile parent loop: self -> self"},
		{"arr", `parent of profile "arr"`},
	} {
		if _, err := Resolve(rc, tc.profile, nil, ResolveOptions{}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want %q", tc.profile, err, tc.want)
		}
	}
}

func TestResolvePrecedence(t *testing.T) {
	rc, err := ParseRC([]byte(`{
   "version" : 1,
   "framing_format" : ["json"],
   "monitor_timeout" : "10",
   "secret" : "rc-global",
   "profile" : { "p" : { "seeds" : ["rc:1"], "nodeid" : "rc-node" } }
}`))
	if err != nil {
		t.Fatal(err)
	}
	args := map[string]any{
		"secret": "arg-secret",
		"seeds":  []string{"arg:1"},
		"binds":  []string{"arg:2"},
	}
	for _, tc := range []struct {
		name    string
		args    map[string]any
		opts    ResolveOptions
		secret  string
		seeds   []string
		binds   []string
		framing []string
		timeout float64
		nodeID  string
	}{
		// rc file over arguments; arguments fill what the rc file lacks.
		{"default", args, ResolveOptions{}, "rc-global", []string{"rc:1"}, []string{"arg:2"}, []string{"json"}, 10, "rc-node"},
		// force: arguments win. Quirk: so do the built-in defaults, which
		// Perl merged into the arguments: the rc file's framing_format and
		// monitor_timeout are ignored.
		{"force", args, ResolveOptions{Force: true}, "arg-secret", []string{"arg:1"}, []string{"arg:2"}, []string{"cbor", "json", "storable"}, 30, "rc-node"},
		{"force without args", nil, ResolveOptions{Force: true}, "rc-global", []string{"rc:1"}, []string{"*"}, []string{"cbor", "json", "storable"}, 30, "rc-node"},
		{"force via args", map[string]any{"force": "1", "secret": "arg-secret"}, ResolveOptions{}, "arg-secret", []string{"rc:1"}, []string{"*"}, []string{"cbor", "json", "storable"}, 30, "rc-node"},
		// norc: the rc file does not exist.
		{"norc", args, ResolveOptions{NoRC: true}, "arg-secret", []string{"arg:1"}, []string{"arg:2"}, []string{"cbor", "json", "storable"}, 30, "p/"},
		{"norc via args", map[string]any{"norc": true}, ResolveOptions{}, "", nil, []string{"*"}, []string{"cbor", "json", "storable"}, 30, "p/"},
		{"norc and force", args, ResolveOptions{NoRC: true, Force: true}, "arg-secret", []string{"arg:1"}, []string{"arg:2"}, []string{"cbor", "json", "storable"}, 30, "p/"},
		{"args override defaults", map[string]any{"framing_format": []string{"json"}, "monitor_timeout": 5}, ResolveOptions{NoRC: true}, "", nil, []string{"*"}, []string{"json"}, 5, "p/"},
		{"norc 0 is false", map[string]any{"norc": "0"}, ResolveOptions{}, "rc-global", []string{"rc:1"}, []string{"*"}, []string{"json"}, 10, "rc-node"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Resolve(rc, "p", tc.args, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			if c.Secret != tc.secret || !reflect.DeepEqual(c.Seeds, tc.seeds) || !reflect.DeepEqual(c.Binds, tc.binds) ||
				!reflect.DeepEqual(c.FramingFormat, tc.framing) || c.MonitorTimeout != tc.timeout || c.NodeID != tc.nodeID {
				t.Errorf("got secret %q seeds %q binds %q framing %q timeout %v nodeid %q",
					c.Secret, c.Seeds, c.Binds, c.FramingFormat, c.MonitorTimeout, c.NodeID)
			}
			if _, ok := c.Raw["norc"]; ok {
				t.Error("norc left in the config")
			}
		})
	}
}

func TestResolveValues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  map[string]any
		check func(Config) bool
	}{
		{"empty binds means no listeners", map[string]any{"binds": []string{}}, func(c Config) bool { return c.Binds != nil && len(c.Binds) == 0 }},
		{"false binds means default", map[string]any{"binds": ""}, func(c Config) bool { return reflect.DeepEqual(c.Binds, []string{"*"}) }},
		{"null binds means default", map[string]any{"binds": nil}, func(c Config) bool { return reflect.DeepEqual(c.Binds, []string{"*"}) }},
		{"nodelay exists but null is off", map[string]any{"nodelay": nil}, func(c Config) bool { return !c.Nodelay }},
		{"nodelay string 0 is off", map[string]any{"nodelay": "0"}, func(c Config) bool { return !c.Nodelay }},
		{"autocork 1", map[string]any{"autocork": 1}, func(c Config) bool { return c.Autocork }},
		{"cert key present but null enables TLS", map[string]any{"cert": nil}, func(c Config) bool { return c.HasCert && c.Cert == "" }},
		{"monitor_timeout from aemp string", map[string]any{"monitor_timeout": "7.5"}, func(c Config) bool { return c.MonitorTimeout == 7.5 }},
		{"secure true", map[string]any{"secure": true}, func(c Config) bool { return c.Secure }},
		{"services", map[string]any{"services": []any{"A::", []any{"f", 1}}}, func(c Config) bool {
			return len(c.Services) == 2 && c.Services[0].IsModule() && c.Services[1].List && c.Services[1].Name == "f"
		}},
		{"nodeid 00 is true", map[string]any{"nodeid": "00"}, func(c Config) bool { return c.NodeID == "00" }},
		{"unknown keys kept in Raw", map[string]any{"x_future": "y"}, func(c Config) bool { return c.Raw["x_future"] == "y" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Resolve(nil, "p", tc.args, ResolveOptions{NoRC: true})
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestResolveErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args map[string]any
		want string
	}{
		{"nodeid 0", map[string]any{"nodeid": "0"}, "illegal node ID"},
		{"nodeid empty", map[string]any{"nodeid": ""}, "illegal node ID"},
		{"nodeid null", map[string]any{"nodeid": nil}, "illegal node ID"},
		{"framing_format bare string", map[string]any{"framing_format": "json"}, "framing_format"},
		{"auth_accept null", map[string]any{"auth_accept": nil}, "auth_accept"},
		{"binds bare string", map[string]any{"binds": "127.0.0.1:4040"}, "binds"},
		{"seeds object", map[string]any{"seeds": map[string]any{}}, "seeds"},
		{"monitor_timeout array", map[string]any{"monitor_timeout": []string{"1"}}, "monitor_timeout"},
		{"unsupported Go value", map[string]any{"x": struct{}{}}, "argument x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Resolve(nil, "p", tc.args, ResolveOptions{NoRC: true})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

func TestResolveDefaultProfileIsNodename(t *testing.T) {
	host, err := os.Hostname()
	if err != nil {
		t.Skip(err)
	}
	rc := NewRC()
	must(t, rc.Profile(host).SetNodeID("from-host-profile"))
	c, err := Resolve(rc, "", nil, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != host || c.NodeID != "from-host-profile" {
		t.Errorf("profile %q nodeid %q, want the %q profile", c.Profile, c.NodeID, host)
	}
	// The profile may also come from the arguments, as configure's "profile" key.
	c, err = Resolve(rc, "", map[string]any{"profile": "other"}, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Profile != "other" || c.NodeID != "other/" {
		t.Errorf("profile %q nodeid %q", c.Profile, c.NodeID)
	}
}
