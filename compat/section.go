package compat

import (
	"fmt"
	"sort"
)

// The keys that AnyEvent::MP 2.02 reads from a profile (bin/aemp's
// set/del commands; Kernel.pm configure; Transport.pm new). Any other key is
// kept untouched on rewrite.
const (
	KeyNodeID          = "nodeid"
	KeySecret          = "secret"
	KeyCert            = "cert"
	KeyBinds           = "binds"
	KeySeeds           = "seeds"
	KeyServices        = "services"
	KeyEval            = "eval"
	KeySecure          = "secure"
	KeyMonitorTimeout  = "monitor_timeout"
	KeyConnectInterval = "connect_interval"
	KeyFramingFormat   = "framing_format"
	KeyAuthOffer       = "auth_offer"
	KeyAuthAccept      = "auth_accept"
	KeyAutocork        = "autocork"
	KeyNodelay         = "nodelay"
	KeyParent          = "parent"
)

// Keys that only aemp-go reads. Perl's configure ignores them, and both
// aemp and aemp-go keep them when they rewrite the file.
const (
	// KeyMetricsListen is the address where `aemp-go run` serves
	// Prometheus metrics (host:port); absent or "" means nowhere.
	KeyMetricsListen = "metrics_listen"
)

// Section is one level of the rc file where configuration keys live: the top
// level (global defaults) or one profile under "profile". It is what `aemp`
// calls $profile: plain commands act on the top level, and commands after
// `aemp profile NAME` act on that profile.
//
// Getters return ok=false when the key is missing or its value cannot be read
// as the requested type; they apply Perl's conversions (see perlvalue.go), so
// the string "10" that `aemp monitor_timeout 10` writes reads as 10. Setters
// write JSON types (numbers, booleans, arrays), which Perl reads the same
// way. Deleting a key (Delete) is what `aemp delKEY` does: the value is then
// inherited again.
type Section struct {
	rc     *RC
	name   string
	global bool
}

// Name returns the profile name, or "" for the global level.
func (s *Section) Name() string { return s.name }

// IsGlobal reports whether s is the top level of the rc file.
func (s *Section) IsGlobal() bool { return s.global }

// Exists reports whether the section exists (the global level always does).
func (s *Section) Exists() bool { return s.global || s.rc.HasProfile(s.name) }

// Map returns the live map of the section, or nil if the profile does not
// exist or is not an object.
func (s *Section) Map() map[string]any {
	if s.global {
		return s.rc.doc
	}
	profiles, _ := s.rc.doc["profile"].(map[string]any)
	m, _ := profiles[s.name].(map[string]any)
	return m
}

// ensure returns the section's map, creating the profile if needed. It
// refuses to replace a "profile" entry that holds something other than an
// object or null, since that would destroy data.
func (s *Section) ensure() (map[string]any, error) {
	if s.global {
		return s.rc.doc, nil
	}
	var profiles map[string]any
	switch p := s.rc.doc["profile"].(type) {
	case nil:
		profiles = map[string]any{}
		s.rc.doc["profile"] = profiles
	case map[string]any:
		profiles = p
	default:
		return nil, fmt.Errorf(`"profile" is %s, not an object; refusing to replace it`, describe(p))
	}
	switch p := profiles[s.name].(type) {
	case nil:
		m := map[string]any{}
		profiles[s.name] = m
		return m, nil
	case map[string]any:
		return p, nil
	default:
		return nil, fmt.Errorf("profile %q is %s, not an object; refusing to replace it", s.name, describe(p))
	}
}

// Create makes sure the profile exists, as `aemp profile NAME` does.
func (s *Section) Create() error {
	_, err := s.ensure()
	return err
}

// Keys returns the keys set in this section, sorted.
func (s *Section) Keys() []string {
	m := s.Map()
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Get returns the raw value of key.
func (s *Section) Get(key string) (any, bool) {
	v, ok := s.Map()[key]
	return v, ok
}

// Set stores a value (any Go value toRCValue accepts: strings, numbers,
// bools, nil, []string, []any, map[string]any, Service, []Service).
func (s *Section) Set(key string, v any) error {
	c, err := toRCValue(v)
	if err != nil {
		return fmt.Errorf("%s: %w", key, err)
	}
	m, err := s.ensure()
	if err != nil {
		return err
	}
	m[key] = c
	return nil
}

// Delete removes key and reports whether it was set.
func (s *Section) Delete(key string) bool {
	m := s.Map()
	if _, ok := m[key]; !ok {
		return false
	}
	delete(m, key)
	return true
}

// String reads key as a Perl string.
func (s *Section) String(key string) (string, bool) {
	v, ok := s.Get(key)
	if !ok {
		return "", false
	}
	str, err := perlString(v)
	return str, err == nil
}

// Strings reads key as a list of strings.
func (s *Section) Strings(key string) ([]string, bool) {
	v, ok := s.Get(key)
	if !ok {
		return nil, false
	}
	l, err := stringList(v)
	return l, err == nil
}

// Bool reads key with Perl's truth rules.
func (s *Section) Bool(key string) (bool, bool) {
	v, ok := s.Get(key)
	if !ok {
		return false, false
	}
	return perlTrue(v), true
}

// Number reads key as Perl numifies it.
func (s *Section) Number(key string) (float64, bool) {
	v, ok := s.Get(key)
	if !ok {
		return 0, false
	}
	f, err := perlNum(v)
	return f, err == nil
}

func (s *Section) NodeID() (string, bool)        { return s.String(KeyNodeID) }
func (s *Section) SetNodeID(id string) error     { return s.Set(KeyNodeID, id) }
func (s *Section) Secret() (string, bool)        { return s.String(KeySecret) }
func (s *Section) SetSecret(secret string) error { return s.Set(KeySecret, secret) }

// Cert returns the PEM text of the key and certificate(s); see GenCert.
func (s *Section) Cert() (string, bool)      { return s.String(KeyCert) }
func (s *Section) SetCert(pem string) error  { return s.Set(KeyCert, pem) }
func (s *Section) Eval() (string, bool)      { return s.String(KeyEval) }
func (s *Section) SetEval(code string) error { return s.Set(KeyEval, code) }

// Parent returns the profile this one inherits from. On the global level a
// parent can be set (aemp allows it) but Perl never follows it.
func (s *Section) Parent() (string, bool)      { return s.String(KeyParent) }
func (s *Section) SetParent(name string) error { return s.Set(KeyParent, name) }

func (s *Section) Binds() ([]string, bool)             { return s.Strings(KeyBinds) }
func (s *Section) SetBinds(binds ...string) error      { return s.Set(KeyBinds, nonNil(binds)) }
func (s *Section) Seeds() ([]string, bool)             { return s.Strings(KeySeeds) }
func (s *Section) SetSeeds(seeds ...string) error      { return s.Set(KeySeeds, nonNil(seeds)) }
func (s *Section) FramingFormat() ([]string, bool)     { return s.Strings(KeyFramingFormat) }
func (s *Section) SetFramingFormat(f ...string) error  { return s.Set(KeyFramingFormat, nonNil(f)) }
func (s *Section) AuthOffer() ([]string, bool)         { return s.Strings(KeyAuthOffer) }
func (s *Section) SetAuthOffer(a ...string) error      { return s.Set(KeyAuthOffer, nonNil(a)) }
func (s *Section) AuthAccept() ([]string, bool)        { return s.Strings(KeyAuthAccept) }
func (s *Section) SetAuthAccept(a ...string) error     { return s.Set(KeyAuthAccept, nonNil(a)) }
func (s *Section) Secure() (bool, bool)                { return s.Bool(KeySecure) }
func (s *Section) SetSecure(on bool) error             { return s.Set(KeySecure, on) }
func (s *Section) Autocork() (bool, bool)              { return s.Bool(KeyAutocork) }
func (s *Section) SetAutocork(on bool) error           { return s.Set(KeyAutocork, on) }
func (s *Section) Nodelay() (bool, bool)               { return s.Bool(KeyNodelay) }
func (s *Section) SetNodelay(on bool) error            { return s.Set(KeyNodelay, on) }
func (s *Section) MonitorTimeout() (float64, bool)     { return s.Number(KeyMonitorTimeout) }
func (s *Section) SetMonitorTimeout(sec float64) error { return s.Set(KeyMonitorTimeout, sec) }
func (s *Section) ConnectInterval() (float64, bool)    { return s.Number(KeyConnectInterval) }
func (s *Section) SetConnectInterval(sec float64) error {
	return s.Set(KeyConnectInterval, sec)
}

// Services returns the "services" list.
func (s *Section) Services() ([]Service, bool) {
	v, ok := s.Get(KeyServices)
	if !ok {
		return nil, false
	}
	l, err := parseServices(v)
	return l, err == nil
}

func (s *Section) SetServices(services ...Service) error {
	if services == nil {
		services = []Service{}
	}
	return s.Set(KeyServices, services)
}

// AddBind appends a bind address, first removing any equal entry, as
// `aemp addbind` does (so re-adding moves it to the end).
func (s *Section) AddBind(addr string) error { return s.addUnique(KeyBinds, addr) }

// DelBind removes every entry equal to addr, as `aemp delbind` does.
func (s *Section) DelBind(addr string) error { return s.removeAll(KeyBinds, addr) }

// AddSeed and DelSeed are `aemp addseed` / `aemp delseed`, like AddBind and
// DelBind.
func (s *Section) AddSeed(addr string) error { return s.addUnique(KeySeeds, addr) }
func (s *Section) DelSeed(addr string) error { return s.removeAll(KeySeeds, addr) }

// AddService appends a service without removing duplicates: `aemp
// addservice` runs a service once per entry.
func (s *Section) AddService(svc Service) error {
	list, err := s.rawList(KeyServices)
	if err != nil {
		return err
	}
	return s.Set(KeyServices, append(list, svc.rcValue()))
}

// DelService removes the first string entry equal to name, as `aemp
// delservice` does (array entries never compare equal in Perl).
func (s *Section) DelService(name string) error {
	list, err := s.rawList(KeyServices)
	if err != nil {
		return err
	}
	for i, e := range list {
		if str, ok := e.(string); ok && str == name {
			return s.Set(KeyServices, append(list[:i:i], list[i+1:]...))
		}
	}
	return s.Set(KeyServices, list)
}

func (s *Section) addUnique(key, value string) error {
	list, err := s.rawList(key)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(list)+1)
	for _, e := range list {
		if str, err := perlString(e); err == nil && str == value {
			continue
		}
		out = append(out, e)
	}
	return s.Set(key, append(out, value))
}

func (s *Section) removeAll(key, value string) error {
	list, err := s.rawList(key)
	if err != nil {
		return err
	}
	out := make([]any, 0, len(list))
	for _, e := range list {
		if str, err := perlString(e); err == nil && str == value {
			continue
		}
		out = append(out, e)
	}
	return s.Set(key, out)
}

// rawList returns a copy of the list at key; a missing or null key is an
// empty list, as Perl autovivifies it.
func (s *Section) rawList(key string) ([]any, error) {
	v, _ := s.Get(key)
	switch x := v.(type) {
	case nil:
		return []any{}, nil
	case []any:
		return append([]any{}, x...), nil
	default:
		return nil, fmt.Errorf("%s is %s, not an array; refusing to replace it", key, describe(v))
	}
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

// stringList reads a JSON array of scalars as strings.
func stringList(v any) ([]string, error) {
	list, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("expected an array, got %s", describe(v))
	}
	out := make([]string, len(list))
	for i, e := range list {
		s, err := perlString(e)
		if err != nil {
			return nil, fmt.Errorf("element %d: %w", i, err)
		}
		out[i] = s
	}
	return out, nil
}
