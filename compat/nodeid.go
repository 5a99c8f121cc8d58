package compat

import (
	"crypto/rand"
	"os"
	"strings"
	"time"
)

// Alnum is Kernel.pm's @alnum, ('0'..'9', 'A'..'Z', 'a'..'z'): the alphabet
// of nonce62, and so of secrets, UNIQ and RUNIQ.
const Alnum = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// Nonce62 returns n characters drawn uniformly from Alnum, like Kernel.pm's
// nonce62 (`join "", map $alnum[rand 62], 1 .. $_[0]`). Perl draws from its
// non-cryptographic rand(); we use crypto/rand with rejection sampling, which
// gives the same distribution without its predictability.
func Nonce62(n int) string {
	out := make([]byte, 0, n)
	var buf [64]byte
	for len(out) < n {
		rand.Read(buf[:]) // never fails (Go 1.24+ crypto/rand)
		for _, b := range buf {
			// 248 = 4*62: accept only the bytes that map evenly.
			if b < 248 && len(out) < n {
				out = append(out, Alnum[b%62])
			}
		}
	}
	return string(out)
}

// GenSecret returns a new shared secret as `aemp gensecret` makes it:
// nonce62 180, 180 characters of Alnum (~1071 bits). The secret is used as
// the HMAC key as is (its bytes, not decoded).
func GenSecret() string { return Nonce62(180) }

// NewRUNIQ returns a new "remote unique" string as Kernel.pm builds $RUNIQ at
// start-up: nonce62 10 with its last character upper-cased
// (`$RUNIQ =~ s/(.)$/\U$1/`). The upper-case end keeps names built from it
// apart from $UNIQ-based port names, which are one character shorter and
// continue with a lower-case counter. So the last character is from [0-9A-Z],
// with each letter twice as likely as each digit.
//
// It replaces a trailing "/" or "%u" in node ID templates (ExpandNodeID) and
// prefixes the names of ports this node spawns on other nodes.
func NewRUNIQ() string {
	r := []byte(Nonce62(10))
	r[9] = byte(strings.ToUpper(string(r[9]))[0])
	return string(r)
}

// NewUNIQ returns a new per-process port-name prefix as Kernel.pm builds
// $UNIQ at start-up (9 characters). Local port names are $UNIQ followed by a
// counter; a node whose ID was randomised by ExpandNodeID uses an empty UNIQ
// instead.
func NewUNIQ() string { return uniqFor(os.Getpid(), time.Now(), Nonce62(4)) }

// uniqFor is the deterministic part of $UNIQ: five characters derived from
// the process ID and the event-loop time, followed by tail (nonce62 4):
//
//	$alnum[$$ / 62 % 62], $alnum[$$ % 62],
//	$alnum[(int $now) % 62], $alnum[(int $now * 100) % 62],
//	$alnum[(int $now * 10000) % 62]
//
// Perl's % truncates its operands to integers, so "$$ / 62 % 62" is
// int(pid/62) % 62, and "int $now * 100" is int($now * 100) because a named
// unary operator binds more loosely than *.
func uniqFor(pid int, now time.Time, tail string) string {
	t := float64(now.UnixNano()) / 1e9
	idx := []int64{
		int64(pid) / 62 % 62,
		int64(pid) % 62,
		int64(t) % 62,
		int64(t*100) % 62,
		int64(t*10000) % 62,
	}
	var b strings.Builder
	for _, i := range idx {
		if i < 0 {
			i += 62
		}
		b.WriteByte(Alnum[i])
	}
	b.WriteString(tail)
	return b.String()
}

// Nodename returns what Perl's nodename returns, (POSIX::uname)[1], which on
// Linux is the host name that os.Hostname reads. It is the default profile
// name and the expansion of "%n".
func Nodename() (string, error) { return os.Hostname() }

// ExpandNodeID turns a node ID template into the node ID exactly as Kernel.pm
// configure does:
//
//	$NODE =~ s/%n/nodename/ge;
//	if ($NODE =~ s!(?:(?<=/)$|%u)!$RUNIQ!g) { $UNIQ = "" }
//
// Every "%n" becomes nodename first; then every "%u", and the end of the
// string if the string ends in "/", becomes runiq (the same value each time).
// randomized reports whether anything was replaced by runiq; such nodes name
// their ports without a UNIQ prefix ("b", "c", ...).
//
// Quirk kept: Perl's "$" also matches before a final newline, so "name/\n"
// becomes "name/<runiq>\n". There is no escape for a literal "%n" or "%u".
func ExpandNodeID(template, nodename, runiq string) (nodeID string, randomized bool) {
	s := strings.ReplaceAll(template, "%n", nodename)
	if strings.Contains(s, "%u") {
		s = strings.ReplaceAll(s, "%u", runiq)
		randomized = true
	}
	switch {
	case strings.HasSuffix(s, "/"):
		s += runiq
		randomized = true
	case strings.HasSuffix(s, "/\n"):
		s = s[:len(s)-1] + runiq + "\n"
		randomized = true
	}
	return s, randomized
}
