package compat

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// RCPath returns the rc file that Perl's AnyEvent::MP::Config uses
// (Config.pm lines 25-27). The tests use `exists`, not truth, so a variable
// that is set but empty still wins:
//
//	exists $ENV{PERL_ANYEVENT_MP_RC} ? $ENV{PERL_ANYEVENT_MP_RC}
//	: exists $ENV{HOME}              ? "$ENV{HOME}/.perl-anyevent-mp"
//	:                                  "$ENV{APPDATA}/perl-anyevent-mp"
//
// Note the missing dot in the APPDATA (Windows) name.
func RCPath() string {
	if p, ok := os.LookupEnv("PERL_ANYEVENT_MP_RC"); ok {
		return p
	}
	if h, ok := os.LookupEnv("HOME"); ok {
		return h + "/.perl-anyevent-mp"
	}
	return os.Getenv("APPDATA") + "/perl-anyevent-mp"
}

// ErrBrokenRC is matched (with errors.Is) by every error that reports an rc
// file which exists but cannot be used. Such a file must never be replaced.
var ErrBrokenRC = errors.New("broken AnyEvent::MP rc file")

// ParseError reports an rc file that does not parse.
//
// Perl's Config.pm load (lines 31-43) swallows this error: it silently starts
// from {"version":1}, and the next `aemp` command that changes anything then
// overwrites the user's file with that near-empty config (keeping only the
// single `~` backup). We report it instead and refuse to overwrite.
type ParseError struct {
	Path string // empty when parsing bytes with ParseRC
	Err  error
}

func (e *ParseError) Error() string {
	name := e.Path
	if name == "" {
		name = "rc file"
	}
	return fmt.Sprintf("%s: not a usable AnyEvent::MP rc file, leaving it untouched: %v", name, e.Err)
}

func (e *ParseError) Unwrap() []error { return []error{ErrBrokenRC, e.Err} }

// RC is the whole rc file as one JSON document.
//
// It keeps every key, known or not, at every level, so that a Go rewrite
// never drops settings that a newer Perl, another tool or the user put there.
// Values are stored as decoded by encoding/json with UseNumber (nil, bool,
// json.Number, string, []any, map[string]any). An RC is not safe for
// concurrent modification.
type RC struct {
	doc map[string]any
}

// NewRC returns the configuration Perl starts from when there is no rc file:
// {"version": 1} (Config.pm lines 40-42).
func NewRC() *RC {
	return &RC{doc: map[string]any{"version": json.Number("1")}}
}

// ParseRC parses the contents of an rc file with JSON::XS's relaxed rules
// (see decodeRelaxed). The top level must be an object; Perl would die on
// anything else (`%{ ... }` of a non-hash) and fall back to an empty config.
func ParseRC(data []byte) (*RC, error) {
	v, err := decodeRelaxed(data)
	if err != nil {
		return nil, &ParseError{Err: err}
	}
	doc, ok := v.(map[string]any)
	if !ok {
		return nil, &ParseError{Err: fmt.Errorf("top level is %s, not an object", describe(v))}
	}
	return &RC{doc: doc}, nil
}

// LoadRC reads the rc file at path.
//
// A missing file gives NewRC(), as in Perl. A file that exists but does not
// parse gives a *ParseError (errors.Is(err, ErrBrokenRC)) and no RC, so the
// caller cannot overwrite it. Other read errors (permissions, a directory)
// are returned as they are; Perl would treat them like a missing file and
// could then overwrite the unreadable file on save.
func LoadRC(path string) (*RC, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return NewRC(), nil
	}
	if err != nil {
		return nil, err
	}
	rc, err := ParseRC(data)
	if err != nil {
		var pe *ParseError
		if errors.As(err, &pe) {
			pe.Path = path
		}
		return nil, err
	}
	return rc, nil
}

// Doc returns the live top-level document, unknown keys included. Changes
// to it are saved by Save.
func (rc *RC) Doc() map[string]any { return rc.doc }

// Marshal returns the file contents exactly as Perl's Config.pm save writes
// them, apart from key order: JSON::XS->new->pretty->utf8->encode, which
// already ends in a newline, followed by another "\n" (Config.pm line 51), so
// the file ends in "}\n\n".
//
// A top-level "dirty" key is left out: it is the in-memory flag that `aemp`
// sets on %CFG and Config.pm save deletes before encoding (line 46), so Perl
// never writes it either.
func (rc *RC) Marshal() ([]byte, error) {
	doc := make(map[string]any, len(rc.doc))
	for k, v := range rc.doc {
		if k != "dirty" {
			doc[k] = v
		}
	}
	b, err := encodePretty(doc)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Save writes the rc file the way Config.pm save does (lines 45-61): write
// the new contents to a temporary file, remove "<path>~", hard-link the
// current file to "<path>~" (a backup of the previous version; failures are
// ignored, as in Perl, e.g. when there is no previous file), then rename the
// temporary file over path.
//
// Differences from Perl, all on the side of not losing data:
//   - If path exists but does not parse, Save refuses (ErrBrokenRC) instead
//     of replacing it.
//   - The temporary file gets a unique name next to path (Perl always uses
//     "<path>~new~", so two concurrent writers can corrupt each other) and is
//     fsynced before the rename.
//   - A new file is created 0600, because it holds or will hold the shared
//     secret; Perl creates it with 0666 & ~umask. An existing file keeps its
//     permission bits, except that group and other bits are removed when
//     the document holds a secret or a TLS key ("secret" or "cert", at the
//     top level or in a profile): a 0644 file that `gensecret` or
//     `gencert` writes a secret into becomes 0600. SavePerm tells the
//     caller when that happened.
func (rc *RC) Save(path string) error {
	_, _, err := rc.SavePerm(path)
	return err
}

// SavePerm is Save, returning the permission bits the file had before
// (0 for a new file) and the ones it has now, so a caller can say when
// Save narrowed them.
func (rc *RC) SavePerm(path string) (before, after fs.FileMode, err error) {
	data, err := rc.Marshal()
	if err != nil {
		return 0, 0, fmt.Errorf("%s: %w", path, err)
	}
	mode := fs.FileMode(0o600)
	if old, err := os.ReadFile(path); err == nil {
		if _, perr := ParseRC(old); perr != nil {
			var pe *ParseError
			if errors.As(perr, &pe) {
				pe.Path = path
			}
			return 0, 0, perr
		}
		if fi, err := os.Stat(path); err == nil {
			before = fi.Mode().Perm()
			mode = before
			if rc.holdsSecrets() {
				mode &^= 0o077
			}
		}
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, 0, err
	}
	if err := rc.write(path, data, mode); err != nil {
		return 0, 0, err
	}
	return before, mode, nil
}

// holdsSecrets reports whether the document has a non-empty shared secret
// or TLS key anywhere: at the top level or in a profile.
func (rc *RC) holdsSecrets() bool {
	has := func(m map[string]any) bool {
		for _, k := range []string{KeySecret, KeyCert} {
			if v, ok := m[k]; ok && v != nil && v != "" {
				return true
			}
		}
		return false
	}
	if has(rc.doc) {
		return true
	}
	profiles, _ := rc.doc["profile"].(map[string]any)
	for _, p := range profiles {
		if pm, ok := p.(map[string]any); ok && has(pm) {
			return true
		}
	}
	return false
}

// write replaces path with data, as Config.pm save does (see Save).
func (rc *RC) write(path string, data []byte, mode fs.FileMode) error {

	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+"~new~*")
	if err != nil {
		return err
	}
	tmpName := tmp.Name()
	committed := false
	defer func() {
		if !committed {
			os.Remove(tmpName)
		}
	}()
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}

	backup := path + "~"
	_ = os.Remove(backup)     // Perl: unlink "$CONFIG_FILE~";
	_ = os.Link(path, backup) // Perl: link $CONFIG_FILE, "$CONFIG_FILE~";
	if err := os.Rename(tmpName, path); err != nil {
		return err
	}
	committed = true
	return nil
}

// Global returns the top level of the rc file, the "global default
// configuration" that every profile inherits from.
func (rc *RC) Global() *Section { return &Section{rc: rc, global: true} }

// Profile returns the named profile under "profile". It is created when a
// value is first set, not before (`aemp profile NAME` creates it right away).
func (rc *RC) Profile(name string) *Section { return &Section{rc: rc, name: name} }

// HasProfile reports whether a profile of that name exists.
func (rc *RC) HasProfile(name string) bool {
	profiles, _ := rc.doc["profile"].(map[string]any)
	_, ok := profiles[name]
	return ok
}

// ProfileNames returns the names of all profiles, sorted.
func (rc *RC) ProfileNames() []string {
	profiles, _ := rc.doc["profile"].(map[string]any)
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DeleteProfile removes a profile, as `aemp delprofile NAME` does. It reports
// whether there was one. The (possibly empty) "profile" object stays, as in
// Perl. Profiles naming it as their parent fall back to the global level.
func (rc *RC) DeleteProfile(name string) bool {
	profiles, _ := rc.doc["profile"].(map[string]any)
	if _, ok := profiles[name]; !ok {
		return false
	}
	delete(profiles, name)
	return true
}

// profileMap returns the keys of a profile for resolution, or nil when there
// is none. Perl dereferences the entry as a hash without strict refs
// (common::sense), so undef and plain strings act as empty profiles, while
// an array is a fatal "Not a HASH reference".
func (rc *RC) profileMap(name string) (map[string]any, error) {
	var profiles map[string]any
	switch p := rc.doc["profile"].(type) {
	case map[string]any:
		profiles = p
	case []any:
		return nil, fmt.Errorf(`"profile" is an array, not an object`)
	default:
		return nil, nil
	}
	switch p := profiles[name].(type) {
	case map[string]any:
		return p, nil
	case []any:
		return nil, fmt.Errorf("profile %q is an array, not an object", name)
	default:
		return nil, nil
	}
}
