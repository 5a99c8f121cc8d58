package compat

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Built-in defaults of AnyEvent::MP 2.02. monitor_timeout,
// connect_interval, auth_offer and auth_accept come from protocol (the
// single source: DefaultMonitorTimeout, DefaultConnectInterval,
// DefaultAuthOffer, DefaultAuthAccept); they and framing_format live in
// Config.pm find_profile (lines 85-92) and so take part in the precedence
// rules of Resolve. binds, nodelay and the absent rest are applied later by
// their users (Kernel.pm configure, Transport.pm new) and only when nothing
// set them. The list functions return a fresh slice on every call.

// DefaultFramingFormat returns Perl's default framing_format, Storable
// included (protocol.DefaultFramings is the part Go implements).
func DefaultFramingFormat() []string {
	return []string{"cbor", "json", "storable"}
}

// DefaultBinds returns the binds used when binds is absent or false
// (Kernel.pm configure: `$binds ||= ["*"]`): every non-loopback address of
// the host on a dynamically assigned port. An empty array is true in Perl,
// so [] means "no listeners", not the default.
func DefaultBinds() []string {
	return []string{"*"}
}

// What `aemp`'s own protocol commands configure (bin/aemp sub init):
// configure profile => "aemp", nodeid => "aemp/%n/%u". The nodeid is a
// configure argument, so an rc-file nodeid in profile "aemp" overrides it.
const (
	AempProfile = "aemp"
	AempNodeID  = "aemp/%n/%u"
)

// secondsNumber writes a duration as the number of seconds Perl's
// find_profile holds ("30", "2", "0.5").
func secondsNumber(d time.Duration) json.Number {
	return json.Number(protocol.FormatPerlFloat(d.Seconds()))
}

func builtinDefaults() map[string]any {
	list := func(l []string) []any {
		out := make([]any, len(l))
		for i, s := range l {
			out[i] = s
		}
		return out
	}
	return map[string]any{
		KeyMonitorTimeout:  secondsNumber(protocol.DefaultMonitorTimeout),
		KeyConnectInterval: secondsNumber(protocol.DefaultConnectInterval),
		KeyFramingFormat:   list(DefaultFramingFormat()),
		KeyAuthOffer:       list(protocol.DefaultAuthOffer()),
		KeyAuthAccept:      list(protocol.DefaultAuthAccept()),
	}
}

// ResolveOptions are configure's two switches (MP.pm configure docs).
type ResolveOptions struct {
	// NoRC ignores the rc file: only the built-in defaults and the arguments
	// count.
	NoRC bool
	// Force makes the arguments win over the rc file. See Resolve for the
	// surprising side effect on the built-in defaults.
	Force bool
}

// Config is the effective configuration of a node, as Perl's
// $AnyEvent::MP::Kernel::CONFIG holds it after configure, with the defaults
// that Kernel.pm and Transport.pm apply at their point of use filled in.
type Config struct {
	// Profile is the profile name that was resolved.
	Profile string
	// NodeID is the node ID *template*: the nodeid value if the key exists,
	// else "<profile>/". ExpandNodeID turns it into the node ID.
	NodeID string
	// Secret is the shared secret; "" means none (Transport.pm checks
	// `length $secret`).
	Secret string
	// Cert is the PEM key + certificate(s); HasCert reports whether the key
	// exists at all. Transport.pm enables TLS on `exists $config->{cert}`,
	// even for an empty or null value.
	Cert    string
	HasCert bool
	// Binds are the listen addresses, DefaultBinds() when unset or false.
	Binds []string
	// Seeds are the seed addresses (host:port), empty when unset.
	Seeds []string
	// Services run after configure.
	Services []Service
	// Eval is Perl code evaluated at the end of configure; a Go node cannot
	// run it.
	Eval string
	// Secure refuses remote code execution (eval, spawn, load_func tags).
	Secure bool
	// MonitorTimeout is the handshake read timeout and the cap of the seed
	// and keepalive retry back-off, in seconds (0 disables the timeout, as an
	// undef rtimeout does in AnyEvent::Handle).
	MonitorTimeout float64
	// ConnectInterval is the time given to each transport address, seconds.
	ConnectInterval float64
	// FramingFormat is offered and accepted in this order; AuthOffer is what
	// this node sends, AuthAccept what it accepts (greeting field 4).
	FramingFormat []string
	AuthOffer     []string
	AuthAccept    []string
	// Autocork is off unless set true; Nodelay is on unless the key exists
	// with a false value (Transport.pm: `exists $config->{nodelay} ?
	// $config->{nodelay} : 1`).
	Autocork bool
	Nodelay  bool
	// Raw is the merged key/value map, exactly as Perl's find_profile returns
	// it: it also contains the rc file's "version" and "profile" keys, the
	// "parent" of the last profile and any unknown keys. It does not alias
	// the RC.
	Raw map[string]any
}

// Resolve computes the effective configuration for a profile the way Perl's
// configure does (Kernel.pm sub configure calling Config.pm find_profile,
// lines 79-103, and _find_profile, lines 67-77).
//
// profile "" means the default profile, the host name (uname -n; Perl uses
// it when the profile is undef, and treats "" as a real profile name, which
// this API cannot express). args are configure's key/value arguments; the
// keys "profile", "norc" and "force" are taken out of them as in Perl
// ("profile" only when the profile parameter is "", and norc/force add to
// opts with Perl truth).
//
// Precedence, lowest first:
//
//  1. the built-in defaults monitor_timeout, connect_interval,
//     framing_format, auth_offer and auth_accept;
//  2. args;
//  3. unless NoRC: the rc file's top level, then the profile's parent chain
//     from the farthest ancestor down to the profile itself.
//
// With Force, 3 comes first and 1+2 override it. Perl quirk: because the
// built-in defaults are merged into the arguments before that, Force also
// lets the five built-in defaults override the rc file, so an rc-file
// framing_format or monitor_timeout is ignored under Force unless the
// arguments repeat it.
//
// A missing profile or missing parent is not an error: it is empty and the
// chain ends at the top level. A parent loop is an error here; Perl recurses
// until it runs out of memory. The top level's own "parent" is never
// followed. Values that Perl would silently misread (a string where a list
// belongs, which Perl treats as a symbolic reference to an empty array under
// common::sense's "no strict refs", so that e.g. framing_format "json" sends
// an empty framing list) are reported as errors, as is a false node ID
// (Kernel.pm croaks "illegal node ID").
func Resolve(rc *RC, profile string, args map[string]any, opts ResolveOptions) (Config, error) {
	norc, force := opts.NoRC, opts.Force
	kv := builtinDefaults()
	for k, v := range args {
		switch k {
		case "profile":
			if profile == "" && v != nil {
				p, err := perlString(v)
				if err != nil {
					return Config{}, fmt.Errorf("profile argument: %w", err)
				}
				profile = p
			}
			continue
		case "norc":
			norc = norc || perlTrue(v)
			continue
		case "force":
			force = force || perlTrue(v)
			continue
		}
		c, err := toRCValue(v)
		if err != nil {
			return Config{}, fmt.Errorf("argument %s: %w", k, err)
		}
		kv[k] = c
	}
	if profile == "" {
		host, err := Nodename()
		if err != nil {
			return Config{}, fmt.Errorf("default profile: %w", err)
		}
		profile = host
	}
	if !norc {
		if rc == nil {
			rc = NewRC()
		}
		chain, err := rc.flatten(profile)
		if err != nil {
			return Config{}, err
		}
		if force {
			for k, v := range kv {
				chain[k] = v
			}
			kv = chain
		} else {
			for k, v := range chain {
				kv[k] = v
			}
		}
	}
	return configFromMap(profile, kv)
}

// flatten is _find_profile: the top level, overlaid by the profile's
// ancestors from the farthest down, overlaid by the profile itself. The
// result is a deep copy.
func (rc *RC) flatten(name string) (map[string]any, error) {
	var chain []map[string]any // the profile first, then its parent, ...
	seen := map[string]bool{}
	var path []string
	for cur := name; ; {
		if seen[cur] {
			return nil, fmt.Errorf("profile parent loop: %s -> %s", strings.Join(path, " -> "), cur)
		}
		seen[cur] = true
		path = append(path, cur)
		p, err := rc.profileMap(cur)
		if err != nil {
			return nil, err
		}
		chain = append(chain, p)
		pv, ok := p[KeyParent]
		if !ok || pv == nil { // `defined $name` ends the recursion
			break
		}
		next, err := perlString(pv)
		if err != nil {
			return nil, fmt.Errorf("parent of profile %q: %w", cur, err)
		}
		cur = next
	}
	out := deepCopy(rc.doc).(map[string]any)
	for i := len(chain) - 1; i >= 0; i-- {
		for k, v := range chain[i] {
			out[k] = deepCopy(v)
		}
	}
	return out, nil
}

// configFromMap applies Kernel.pm configure's and Transport.pm's reading of
// the merged map.
func configFromMap(profile string, kv map[string]any) (Config, error) {
	c := Config{Profile: profile, Raw: kv}
	var err error
	wrap := func(key string, e error) error {
		return fmt.Errorf("profile %q: %s: %w", profile, key, e)
	}

	// my $node = exists $CONFIG->{nodeid} ? $CONFIG->{nodeid} : "$profile/";
	// $node or Carp::croak "$node: illegal node ID ..."
	if v, ok := kv[KeyNodeID]; ok {
		if c.NodeID, err = perlString(v); err != nil {
			return Config{}, wrap(KeyNodeID, err)
		}
		if !perlTrue(v) {
			return Config{}, wrap(KeyNodeID, fmt.Errorf("%q: illegal node ID (Perl rejects a false node ID such as \"\" or \"0\")", c.NodeID))
		}
	} else {
		c.NodeID = profile + "/"
	}

	if c.Secret, err = optString(kv, KeySecret); err != nil {
		return Config{}, wrap(KeySecret, err)
	}
	_, c.HasCert = kv[KeyCert]
	if c.Cert, err = optString(kv, KeyCert); err != nil {
		return Config{}, wrap(KeyCert, err)
	}
	if c.Eval, err = optString(kv, KeyEval); err != nil {
		return Config{}, wrap(KeyEval, err)
	}

	// $binds ||= ["*"]
	if v := kv[KeyBinds]; !perlTrue(v) {
		c.Binds = DefaultBinds()
	} else if c.Binds, err = stringList(v); err != nil {
		return Config{}, wrap(KeyBinds, err)
	}
	if v := kv[KeySeeds]; v != nil {
		if c.Seeds, err = stringList(v); err != nil {
			return Config{}, wrap(KeySeeds, err)
		}
	}
	if v := kv[KeyServices]; v != nil {
		if c.Services, err = parseServices(v); err != nil {
			return Config{}, wrap(KeyServices, err)
		}
	}

	c.Secure = perlTrue(kv[KeySecure])
	c.Autocork = perlTrue(kv[KeyAutocork])
	c.Nodelay = true
	if v, ok := kv[KeyNodelay]; ok {
		c.Nodelay = perlTrue(v)
	}

	if c.MonitorTimeout, err = perlNum(kv[KeyMonitorTimeout]); err != nil {
		return Config{}, wrap(KeyMonitorTimeout, err)
	}
	if c.ConnectInterval, err = perlNum(kv[KeyConnectInterval]); err != nil {
		return Config{}, wrap(KeyConnectInterval, err)
	}

	for _, l := range []struct {
		key string
		dst *[]string
	}{
		{KeyFramingFormat, &c.FramingFormat},
		{KeyAuthOffer, &c.AuthOffer},
		{KeyAuthAccept, &c.AuthAccept},
	} {
		if *l.dst, err = stringList(kv[l.key]); err != nil {
			return Config{}, wrap(l.key, err)
		}
	}
	return c, nil
}

func optString(kv map[string]any, key string) (string, error) {
	v, ok := kv[key]
	if !ok {
		return "", nil
	}
	return perlString(v)
}
