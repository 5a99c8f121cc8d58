package main

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/aemp-go/aemp-go/compat"
	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"

	"github.com/aemp-go/aemp-go/internal/dnstest"
)

// fakePeer accepts connections and answers each with reply, after
// reading one line when read is set.
func fakePeer(t *testing.T, reply string, read bool) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			if read {
				bufio.NewReader(c).ReadString('\n')
			}
			c.Write([]byte(reply))
			c.Close()
		}
	}()
	return l.Addr().String()
}

func TestDoctor(t *testing.T) {
	good := startNode(t, node.Config{NodeID: "good"})
	jsonOnly := startNode(t, node.Config{NodeID: "json", Framings: []string{"json"}})
	cleartext := startNode(t, node.Config{NodeID: "clear", AuthAccept: []string{protocol.AuthCleartext}})
	certA, _ := compat.GenCert()
	certB, _ := compat.GenCert()
	tlsB, err := protocol.ParseTLSCredentials([]byte(certB))
	if err != nil {
		t.Fatal(err)
	}
	otherCert := startNode(t, node.Config{NodeID: "tls", TLS: tlsB})
	nonce := protocol.NewNonce()

	for _, tc := range []struct {
		name, rc, addr, want string
		code                 int
	}{
		{"ok", `{"secret":"` + testSecret + `"}`, good.Binds()[0], `ok: node "good" (provider aemp-go`, exitOK},
		{"wrong secret", `{"secret":"other"}`, good.Binds()[0], "shared secret does not match", exitConnect},
		{"refused", `{"secret":"x"}`, freeAddr(t), "nothing is listening", exitConnect},
		{"framing", `{"secret":"` + testSecret + `","framing_format":["cbor"]}`, jsonOnly.Binds()[0], "no common framing", exitConnect},
		{"auth", `{"secret":"` + testSecret + `"}`, cleartext.Binds()[0], "no common authentication method", exitConnect},
		{"tls", `{"cert":` + jsonText(certA) + `}`, otherCert.Binds()[0], "TLS certificate problem", exitConnect},
		{"http", `{"secret":"x"}`, fakePeer(t, "HTTP/1.0 400 Bad Request\r\n\r\n", true), "not an AEMP peer", exitConnect},
		{"silent close", `{"secret":"x"}`, fakePeer(t, "", false), "not an AEMP peer", exitConnect},
		{"version", `{"secret":"x"}`, fakePeer(t, "aemp;2;v;hmac_sha3_512;json\n"+nonce+"\n", false), "version mismatch", exitConnect},
		{"srv refused", `{"secret":"x"}`, "srv:_no._tcp.invalid", "", exitConnect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tempRC(t, tc.rc)
			args := []string{"--timeout", "3s", "doctor", tc.addr}
			if strings.HasPrefix(tc.addr, "srv:") {
				args = append([]string{"--dns-server", dnstest.Start(t).Addr}, args...)
			}
			r := aemp(t, args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("exit %d, output %q %q; want %d and %q", r.code, r.stdout, r.stderr, tc.code, tc.want)
			}
			if lines := strings.Count(r.stdout, "\n"); tc.want != "" && lines != 1 {
				t.Errorf("want one line, got %q", r.stdout)
			}
		})
	}
	if r := aemp(t, "doctor"); r.code != exitUsage {
		t.Errorf("doctor without address: %+v", r)
	}
}
