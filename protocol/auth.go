package protocol

import (
	"crypto/hmac"
	"crypto/sha3"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"hash"
	"strings"
)

// Auth methods of AEMP 2.x.
const (
	// AuthHMAC: HMAC-SHA3-512 over the four greeting lines, keyed with the
	// shared secret. The preferred method without TLS.
	AuthHMAC = "hmac_sha3_512"
	// AuthTLSSHA3: plain SHA3-512 over the four greeting lines; only valid
	// under TLS, where the certificate authenticates.
	AuthTLSSHA3 = "tls_sha3_512"
	// AuthTLSAnon: an empty token; only valid under TLS. Accepted, never
	// generated (the peer is then marked untrusted).
	AuthTLSAnon = "tls_anon"
	// AuthCleartext: the lowercase hex of the secret. Accepted, never
	// generated.
	AuthCleartext = "cleartext"
)

// AuthLine is the third handshake line: `<method>;<token>;<framing>`, where
// framing is the format the sender will use for the messages it sends.
// Further ";"-separated fields are allowed by the protocol and ignored.
type AuthLine struct {
	Method  string
	Token   string
	Framing string
	Extra   []string
}

// ParseAuthLine parses an auth line (without its line end). Like Perl it
// splits on ";" and takes the first three fields; missing ones are empty.
func ParseAuthLine(line string) AuthLine {
	f := strings.Split(line, ";")
	for len(f) < 3 {
		f = append(f, "")
	}
	a := AuthLine{Method: f[0], Token: f[1], Framing: f[2]}
	if len(f) > 3 {
		a.Extra = f[3:]
	}
	return a
}

// String formats the auth line without its line end.
func (a AuthLine) String() string {
	s := a.Method + ";" + a.Token + ";" + a.Framing
	for _, e := range a.Extra {
		s += ";" + e
	}
	return s
}

// authMessage is what both token kinds are computed over: the sender's two
// greeting lines, then the receiver's, each followed by LF (no CR even when
// the lines arrived with CRLF).
func authMessage(first1, first2, second1, second2 string) []byte {
	return []byte(first1 + "\n" + first2 + "\n" + second1 + "\n" + second2 + "\n")
}

// HMACToken computes an hmac_sha3_512 token: the lowercase hex of standard
// HMAC-SHA3-512 (block size 72). The key is the secret's bytes as they are
// (Perl does not hex-decode it). first1/first2 are the greeting lines of the
// side that sends the token, second1/second2 those of the side that checks.
func HMACToken(secret, first1, first2, second1, second2 string) string {
	m := hmac.New(func() hash.Hash { return sha3.New512() }, []byte(secret))
	m.Write(authMessage(first1, first2, second1, second2))
	return hex.EncodeToString(m.Sum(nil))
}

// TLSToken computes a tls_sha3_512 token: lowercase hex SHA3-512 over the
// same message as HMACToken, with no key.
//
// Quirk: Transport.pm's PROTOCOL section documents the remote lines first,
// but its code (which is what counts on the wire) hashes the sender's own
// lines first, exactly like the HMAC.
func TLSToken(first1, first2, second1, second2 string) string {
	sum := sha3.Sum512(authMessage(first1, first2, second1, second2))
	return hex.EncodeToString(sum[:])
}

// CleartextToken is the cleartext "token": the lowercase hex of the secret.
func CleartextToken(secret string) string {
	return hex.EncodeToString([]byte(secret))
}

// SelectAuth picks the auth method we send, as Transport.pm does: the first
// method in the peer's list that is also in our offer list, where tls_*
// methods only count when TLS is up.
func SelectAuth(peerAuths, offer []string, tlsUp bool) (string, bool) {
	for _, a := range peerAuths {
		if contains(offer, a) && (!strings.HasPrefix(a, "tls_") || tlsUp) {
			return a, true
		}
	}
	return "", false
}

// SelectFraming picks the framing we send: the first entry of the peer's
// list that we support. Each direction picks its own, so the two
// directions of one connection may use different framings.
func SelectFraming(peerFramings, ours []string) (string, bool) {
	for _, f := range peerFramings {
		if contains(ours, f) {
			return f, true
		}
	}
	return "", false
}

// LocalToken computes the token we send for method.
func LocalToken(method, secret string, local, remote [2]string, tlsUp bool) (string, error) {
	switch {
	case tlsUp && method == AuthTLSAnon:
		return "", nil
	case tlsUp && method == AuthTLSSHA3:
		return TLSToken(local[0], local[1], remote[0], remote[1]), nil
	case !tlsUp && method == AuthHMAC && secret != "":
		return HMACToken(secret, local[0], local[1], remote[0], remote[1]), nil
	case !tlsUp && secret == "":
		return "", ErrNoSecret
	}
	return "", fmt.Errorf("%w: %s: selected unsupported snd auth method", ErrUnsupportedAuth, method)
}

// VerifyToken checks the peer's auth line against what we expect, the way
// Transport.pm does: hmac_sha3_512 and cleartext need the secret,
// tls_anon and tls_sha3_512 are only valid when TLS is up. accept limits
// the methods we take (Perl itself checks any method it knows whatever its
// auth_accept says; aemp-go honours the configured list, which with the
// default list is the same).
func VerifyToken(a AuthLine, accept []string, secret string, local, remote [2]string, tlsUp bool) error {
	if !contains(accept, a.Method) {
		return fmt.Errorf("%w: %s", ErrUnsupportedAuth, a.Method)
	}
	var want string
	switch a.Method {
	case AuthHMAC:
		if secret == "" {
			return ErrAuthFailed
		}
		want = HMACToken(secret, remote[0], remote[1], local[0], local[1])
	case AuthCleartext:
		if secret == "" {
			return ErrAuthFailed
		}
		want = CleartextToken(secret)
	case AuthTLSAnon:
		if !tlsUp {
			return ErrAuthFailed
		}
		want = ""
	case AuthTLSSHA3:
		if !tlsUp {
			return ErrAuthFailed
		}
		want = TLSToken(remote[0], remote[1], local[0], local[1])
	default:
		return fmt.Errorf("%w: %s: selected unsupported rcv auth method", ErrUnsupportedAuth, a.Method)
	}
	if subtle.ConstantTimeCompare([]byte(a.Token), []byte(want)) != 1 {
		return ErrAuthFailed
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, e := range list {
		if e == s {
			return true
		}
	}
	return false
}
