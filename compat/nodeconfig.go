package compat

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// NodeConfig turns a resolved profile (see Resolve) into the configuration
// of a Go node, doing what Kernel.pm configure and Transport.pm do with the
// same values at run time:
//
//   - the node ID template is expanded with ExpandNodeID (the host name for
//     "%n", a fresh RUNIQ for "%u" and a trailing "/"), and Randomised is
//     set when the template had a random part, so that ports are named
//     "b", "c", ... as Perl names them;
//   - cert, when the key exists, is parsed into TLS credentials; a key
//     that exists but holds no usable PEM is an error here, where Perl
//     would start and then fail every TLS handshake;
//   - framing_format keeps only the framings Go implements (cbor, json), in
//     the configured order: Perl's default list ends in "storable", which
//     is Perl's own serialisation. A list with none of them left is an
//     error, because such a node could talk to nobody;
//   - monitor_timeout and connect_interval become durations. A zero or
//     negative value means node's default (30 s, 2 s); Perl would disable
//     the timeout instead.
//
// Binds and seeds are copied as written; the node resolves them (seed
// entries of the form "srv:NAME", DNS SRV seeds, included). A services
// list that loads AnyEvent::MP::Global:: sets Global, as loading that
// module makes a Perl node global; running the other services and
// refusing eval is Configure's business. nodelay and autocork have no Go
// counterpart (Go sets TCP_NODELAY and never corks).
//
// Logger and Trace are left unset for the caller.
func NodeConfig(c Config) (node.Config, error) {
	host, err := Nodename()
	if err != nil {
		return node.Config{}, fmt.Errorf("expanding node ID %q: %w", c.NodeID, err)
	}
	id, randomised := ExpandNodeID(c.NodeID, host, NewRUNIQ())
	if id == "" {
		return node.Config{}, errors.New("empty node ID")
	}
	nc := node.Config{
		NodeID:     id,
		Randomised: randomised,
		Secret:     c.Secret,
		Binds:      append([]string(nil), c.Binds...),
		Seeds:      append([]string(nil), c.Seeds...),
		AuthOffer:  append([]string(nil), c.AuthOffer...),
		AuthAccept: append([]string(nil), c.AuthAccept...),
		Secure:     c.Secure,
		Global:     hasGlobalService(c.Services),
	}
	if c.HasCert {
		if nc.TLS, err = protocol.ParseTLSCredentials([]byte(c.Cert)); err != nil {
			return node.Config{}, fmt.Errorf("profile %q: cert: %w", c.Profile, err)
		}
	}
	if nc.Framings, err = goFramings(c.FramingFormat); err != nil {
		return node.Config{}, fmt.Errorf("profile %q: %w", c.Profile, err)
	}
	// An empty list would silently become the default list in the
	// handshake; Perl would offer (or accept) nothing and fail every
	// connection, so say so now.
	if len(c.AuthOffer) == 0 {
		return node.Config{}, fmt.Errorf("profile %q: auth_offer is empty: this node could authenticate to nobody", c.Profile)
	}
	if len(c.AuthAccept) == 0 {
		return node.Config{}, fmt.Errorf("profile %q: auth_accept is empty: this node would accept nobody", c.Profile)
	}
	nc.MonitorTimeout = seconds(c.MonitorTimeout)
	nc.ConnectInterval = seconds(c.ConnectInterval)
	return nc, nil
}

// goFramings filters a framing_format list down to what protocol
// implements, keeping the order (the first entry is the preferred one).
func goFramings(list []string) ([]string, error) {
	var out []string
	for _, f := range list {
		for _, g := range protocol.Framings {
			if f == g {
				out = append(out, f)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("framing_format %q has none of the framings Go supports (%v)", list, protocol.Framings)
	}
	return out, nil
}

// seconds converts a Perl number of seconds; 0, negative and non-finite
// values give 0, which the node replaces by its default.
func seconds(s float64) time.Duration {
	if s <= 0 || math.IsInf(s, 0) || math.IsNaN(s) {
		return 0
	}
	if s > float64(math.MaxInt64)/float64(time.Second) {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(s * float64(time.Second))
}
