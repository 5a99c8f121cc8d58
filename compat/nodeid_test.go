package compat

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestExpandNodeID(t *testing.T) {
	const host, runiq = "cerebro", "ZQDGSIkRhE"
	for _, tc := range []struct {
		template, want string
		randomized     bool
	}{
		{"seed", "seed", false},
		{"seed/", "seed/ZQDGSIkRhE", true},              // "<profile>/" default
		{"aemp/%n/%u", "aemp/cerebro/ZQDGSIkRhE", true}, // what aemp itself uses
		{"%n", "cerebro", false},                        // %n alone does not randomise
		{"%n/", "cerebro/ZQDGSIkRhE", true},             // trailing slash after expansion of %n
		{"a%ub%u", "aZQDGSIkRhEbZQDGSIkRhE", true},      // every %u, the same value
		{"x/%u/", "x/ZQDGSIkRhE/ZQDGSIkRhE", true},      // %u and the trailing slash
		{"a/b", "a/b", false},                           // only a trailing slash counts
		{"%n%n", "cerebrocerebro", false},               // every %n
		{"name/\n", "name/ZQDGSIkRhE\n", true},          // Perl's $ before a final newline
		{"%%u", "%ZQDGSIkRhE", true},                    // no escaping
		{"/", "/ZQDGSIkRhE", true},
	} {
		got, r := ExpandNodeID(tc.template, host, runiq)
		if got != tc.want || r != tc.randomized {
			t.Errorf("ExpandNodeID(%q) = %q, %v; want %q, %v", tc.template, got, r, tc.want, tc.randomized)
		}
	}
}

func isAlnum(s string) bool {
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(Alnum, rune(s[i])) {
			return false
		}
	}
	return true
}

func TestGenSecret(t *testing.T) {
	seen := map[byte]bool{}
	secrets := map[string]bool{}
	for i := 0; i < 20; i++ {
		s := GenSecret()
		if len(s) != 180 || !isAlnum(s) {
			t.Fatalf("secret %q: length %d, want 180 chars of [0-9A-Za-z]", s, len(s))
		}
		secrets[s] = true
		for j := 0; j < len(s); j++ {
			seen[s[j]] = true
		}
	}
	if len(secrets) != 20 {
		t.Error("repeated secrets")
	}
	if len(seen) != 62 {
		t.Errorf("only %d of 62 characters used in 3600 draws", len(seen))
	}
	// The real secret written by Perl's `aemp gensecret` has the same shape.
	if len(fixtureSecret) != 180 || !isAlnum(fixtureSecret) {
		t.Error("fixture secret does not match the expected shape")
	}
}

func TestNonce62Uniform(t *testing.T) {
	const n = 62 * 2000
	counts := map[byte]int{}
	s := Nonce62(n)
	if len(s) != n {
		t.Fatalf("len %d", len(s))
	}
	for i := 0; i < n; i++ {
		counts[s[i]]++
	}
	for _, c := range []byte(Alnum) {
		// Expected 2000 each; 6 sigma is about 270.
		if counts[c] < 1700 || counts[c] > 2300 {
			t.Errorf("%q drawn %d times, want about 2000", c, counts[c])
		}
	}
	if Nonce62(0) != "" {
		t.Error("Nonce62(0)")
	}
}

var runiqRE = regexp.MustCompile(`^[0-9A-Za-z]{9}[0-9A-Z]$`)

func TestNewRUNIQ(t *testing.T) {
	lowerLast, lowerElsewhere := 0, 0
	for i := 0; i < 2000; i++ {
		r := NewRUNIQ()
		if !runiqRE.MatchString(r) {
			t.Fatalf("RUNIQ %q does not match %s", r, runiqRE)
		}
		if strings.ToLower(r[9:]) == r[9:] && (r[9] < '0' || r[9] > '9') {
			lowerLast++
		}
		if strings.ContainsAny(r[:9], "abcdefghijklmnopqrstuvwxyz") {
			lowerElsewhere++
		}
	}
	if lowerLast != 0 || lowerElsewhere == 0 {
		t.Errorf("lower-case last %d, elsewhere %d", lowerLast, lowerElsewhere)
	}
	// Spawned port names seen from a real Perl node start with its RUNIQ.
	if !runiqRE.MatchString("9chz5TMWuY") {
		t.Error("captured RUNIQ prefix rejected")
	}
}

func TestUNIQ(t *testing.T) {
	// Checked with perl: pid 12345 at 1700000000.123456789 gives "D7q40".
	now := time.Unix(1700000000, 123456789)
	for _, tc := range []struct {
		pid  int
		tail string
		want string
	}{
		{12345, "abcd", "D7q40abcd"},
		{4000000, "0000", "a8q400000"},
		{1, "zzzz", "01q40zzzz"},
	} {
		if got := uniqFor(tc.pid, now, tc.tail); got != tc.want {
			t.Errorf("uniqFor(%d) = %q, want %q", tc.pid, got, tc.want)
		}
	}
	u := NewUNIQ()
	if len(u) != 9 || !isAlnum(u) {
		t.Errorf("UNIQ %q: want 9 chars of [0-9A-Za-z]", u)
	}
	// The captured Perl port "exer#igYZWln9Eb" is UNIQ "igYZWln9E" + counter "b".
	if p := "igYZWln9Eb"; !isAlnum(p[:9]) {
		t.Error("captured UNIQ rejected")
	}
}
