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
// The limit keys (max_send_queue, write_stall_timeout, max_recv_queue,
// max_recv_queue_len, max_message_size, heartbeat_interval,
// heartbeat_timeout; see goLimits) become the node's limits; Perl ignores
// them.
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
	if err := goLimits(c.Raw, &nc); err != nil {
		return node.Config{}, fmt.Errorf("profile %q: %w", c.Profile, err)
	}
	return nc, nil
}

// Keys of the node limits, an aemp-go extension. Perl's configure ignores
// keys it does not know, and rc-file rewrites keep them, so one profile
// serves both.
const (
	KeyMaxSendQueue      = "max_send_queue"      // bytes: Config.MaxSendQueue
	KeyWriteStallTimeout = "write_stall_timeout" // seconds: Config.WriteStallTimeout
	KeyMaxRecvQueue      = "max_recv_queue"      // bytes: Config.MaxRecvQueue
	KeyMaxRecvQueueLen   = "max_recv_queue_len"  // messages: Config.MaxRecvQueueLen
	KeyMaxMessageSize    = "max_message_size"    // bytes: Config.MaxMessageSize
	KeyHeartbeatInterval = "heartbeat_interval"  // seconds: Config.HeartbeatInterval
	KeyHeartbeatTimeout  = "heartbeat_timeout"   // seconds: Config.HeartbeatTimeout
)

// goLimits copies the limit keys of a profile into nc. A missing, zero or
// negative value leaves the node's default; a value that is no number is
// an error naming the key.
func goLimits(raw map[string]any, nc *node.Config) error {
	for _, l := range []struct {
		key   string
		bytes *int
		dur   *time.Duration
	}{
		{KeyMaxSendQueue, &nc.MaxSendQueue, nil},
		{KeyWriteStallTimeout, nil, &nc.WriteStallTimeout},
		{KeyMaxRecvQueue, &nc.MaxRecvQueue, nil},
		{KeyMaxRecvQueueLen, &nc.MaxRecvQueueLen, nil},
		{KeyMaxMessageSize, &nc.MaxMessageSize, nil},
		{KeyHeartbeatInterval, nil, &nc.HeartbeatInterval},
		{KeyHeartbeatTimeout, nil, &nc.HeartbeatTimeout},
	} {
		v, ok := raw[l.key]
		if !ok {
			continue
		}
		f, err := perlNum(v)
		if err != nil {
			return fmt.Errorf("%s: %w", l.key, err)
		}
		if l.dur != nil {
			*l.dur = seconds(f)
		} else if f > 0 {
			*l.bytes = int(min(f, float64(math.MaxInt32)))
		}
	}
	return nil
}

// goFramings filters a framing_format list down to what protocol
// implements, keeping the order (the first entry is the preferred one).
func goFramings(list []string) ([]string, error) {
	var out []string
	supported := protocol.DefaultFramings()
	for _, f := range list {
		for _, g := range supported {
			if f == g {
				out = append(out, f)
				break
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("framing_format %q has none of the framings Go supports (%v)", list, supported)
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
