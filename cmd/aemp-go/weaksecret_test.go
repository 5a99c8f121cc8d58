package main

import (
	"net"
	"os"
	"strings"
	"testing"

	"github.com/aemp-go/aemp-go/compat"
)

// TestGensecretNarrowsRCFileMode: an rc file readable by everyone becomes
// 0600 once gensecret writes the secret into it, and the CLI says so once.
func TestGensecretNarrowsRCFileMode(t *testing.T) {
	path := tempRC(t, `{"version":1}`)
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	r := mustAemp(t, "seeds", "127.0.0.1:4040")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o644 || r.stderr != "" {
		t.Fatalf("without a secret: mode %v, stderr %q; want 0644 kept, silence", fi.Mode().Perm(), r.stderr)
	}

	r = mustAemp(t, "gensecret")
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Errorf("mode after gensecret = %v, want 0600", fi.Mode().Perm())
	}
	if n := strings.Count(r.stderr, "permissions narrowed from 0644 to 0600"); n != 1 {
		t.Errorf("stderr %q: want the narrowing reported once", r.stderr)
	}

	if r = mustAemp(t, "gencert"); strings.Contains(r.stderr, "narrowed") {
		t.Errorf("reported again for a file that is already 0600: %q", r.stderr)
	}
}

// TestDoctorWarnsAboutWeakSecret: doctor (and run, through the same helper)
// warns about a short secret and points to gensecret and TLS; a secret from
// gensecret passes quietly.
func TestDoctorWarnsAboutWeakSecret(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := l.Addr().String()
	l.Close() // nothing listens: doctor fails fast, after the warning

	tempRC(t, `{"version":1,"secret":"hunter2"}`)
	r := aemp(t, "doctor", closed)
	if !strings.Contains(r.stderr, `the shared secret of profile "aemp" is weak (only 7 characters, want at least 16)`) ||
		!strings.Contains(r.stderr, "aemp-go gensecret") || !strings.Contains(r.stderr, "TLS") {
		t.Errorf("stderr %q: want the weak secret warning", r.stderr)
	}

	tempRC(t, `{"version":1,"secret":"`+compat.GenSecret()+`"}`)
	if r := aemp(t, "doctor", closed); strings.Contains(r.stderr, "weak") {
		t.Errorf("gensecret's secret reported weak: %q", r.stderr)
	}
}
