package main

import (
	"os"

	"github.com/aemp-go/aemp-go/compat"
)

// identityCommands: node ID, shared secret and TLS certificate.
func identityCommands() []*command {
	return []*command{
		// aemp says "shared secret missing" here, a copy-and-paste slip.
		setRawCmd("setnodeid", compat.KeyNodeID, "<nodeid>", "set the node ID (a trailing / or %u adds a random part, %n the host name)", catIdentity, "node id missing"),
		delCmd("delnodeid", compat.KeyNodeID, "remove the node ID (inherit it again)", catIdentity),
		{name: "gensecret", usage: "generate and set a random shared secret (180 characters, ~1071 bits)", category: catIdentity,
			chain: func(s *session) error { return s.setValue(compat.KeySecret, compat.GenSecret()) }},
		setRawCmd("setsecret", compat.KeySecret, "<secret>", "set the shared secret", catIdentity, "shared secret missing"),
		delCmd("delsecret", compat.KeySecret, "remove the shared secret (inherit it again)", catIdentity),
		{name: "gencert", usage: "generate and set a self-signed TLS certificate and key", category: catIdentity,
			help: "All nodes that share the certificate use TLS with each other. aemp runs openssl; aemp-go makes the same kind of certificate (RSA 2048, CN=AnyEvent::MP, 10 years) itself.",
			chain: func(s *session) error {
				pem, err := compat.GenCert()
				if err != nil {
					return usageErr("gencert: %v", err)
				}
				return s.setValue(compat.KeyCert, pem)
			}},
		{name: "setcert", args: "<file>", usage: "set the certificate from a PEM file (key, certificate, CA certificates)", category: catIdentity,
			chain: func(s *session) error {
				file, err := s.needString("key+certificate pem filename missing")
				if err != nil {
					return err
				}
				pem, err := os.ReadFile(file)
				if err != nil {
					return usageErr("%v", err)
				}
				return s.setValue(compat.KeyCert, string(pem))
			}},
		delCmd("delcert", compat.KeyCert, "remove the certificate (inherit it again)", catIdentity),
	}
}
