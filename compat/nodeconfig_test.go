package compat

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

func resolveArgs(t *testing.T, rc *RC, profile string, args map[string]any) Config {
	t.Helper()
	c, err := Resolve(rc, profile, args, ResolveOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNodeConfigFixtureSeed(t *testing.T) {
	c := resolveArgs(t, loadFixtureRC(t), "seed", nil)
	nc, err := NodeConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if nc.NodeID != "seed" || nc.Randomised {
		t.Errorf("node ID %q randomised %v, want seed/false", nc.NodeID, nc.Randomised)
	}
	if nc.Secret != fixtureSecret {
		t.Error("secret not carried over")
	}
	if !reflect.DeepEqual(nc.Binds, []string{"127.0.0.1:4040"}) || !reflect.DeepEqual(nc.Seeds, []string{"127.0.0.1:4040"}) {
		t.Errorf("binds %q seeds %q", nc.Binds, nc.Seeds)
	}
	// Perl's default list is cbor,json,storable: storable is dropped.
	if !reflect.DeepEqual(nc.Framings, []string{"cbor", "json"}) {
		t.Errorf("framings %q", nc.Framings)
	}
	if !reflect.DeepEqual(nc.AuthOffer, protocol.DefaultAuthOffer()) || !reflect.DeepEqual(nc.AuthAccept, protocol.DefaultAuthAccept()) {
		t.Errorf("auth lists %q %q", nc.AuthOffer, nc.AuthAccept)
	}
	if nc.MonitorTimeout != 30*time.Second || nc.ConnectInterval != 2*time.Second {
		t.Errorf("durations %v %v", nc.MonitorTimeout, nc.ConnectInterval)
	}
	if nc.TLS != nil || nc.Secure {
		t.Error("no cert and no secure were configured")
	}
}

func TestNodeConfigRandomisedTemplates(t *testing.T) {
	host, err := Nodename()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tmpl       string
		prefix     string
		randomised bool
	}{
		{AempNodeID, "aemp/" + host + "/", true},
		{"anon/", "anon/", true},
		{"plain-%n", "plain-" + host, false},
	} {
		c := resolveArgs(t, NewRC(), "x", map[string]any{"nodeid": tc.tmpl})
		nc, err := NodeConfig(c)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(nc.NodeID, tc.prefix) || nc.Randomised != tc.randomised {
			t.Errorf("%q: got %q randomised %v", tc.tmpl, nc.NodeID, nc.Randomised)
		}
		if tc.randomised && len(nc.NodeID) != len(tc.prefix)+10 {
			t.Errorf("%q: %q should end in a 10-character RUNIQ", tc.tmpl, nc.NodeID)
		}
	}
}

func TestNodeConfigValues(t *testing.T) {
	cert, err := GenCert()
	if err != nil {
		t.Fatal(err)
	}
	c := resolveArgs(t, NewRC(), "x", map[string]any{
		"framing_format":   []any{"storable", "json", "My::Format", "cbor"},
		"monitor_timeout":  "2.5", // aemp stores command-line numbers as strings
		"connect_interval": 0.5,
		"secure":           "1",
		"cert":             cert,
		"auth_offer":       []any{"hmac_sha3_512"},
	})
	nc, err := NodeConfig(c)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(nc.Framings, []string{"json", "cbor"}) {
		t.Errorf("framings %q, want json,cbor in configured order", nc.Framings)
	}
	if nc.MonitorTimeout != 2500*time.Millisecond || nc.ConnectInterval != 500*time.Millisecond {
		t.Errorf("durations %v %v", nc.MonitorTimeout, nc.ConnectInterval)
	}
	if !nc.Secure || nc.TLS == nil || !reflect.DeepEqual(nc.AuthOffer, []string{"hmac_sha3_512"}) {
		t.Errorf("secure %v tls %v offer %q", nc.Secure, nc.TLS != nil, nc.AuthOffer)
	}
}

func TestNodeConfigErrors(t *testing.T) {
	for name, args := range map[string]map[string]any{
		"no Go framing":  {"framing_format": []any{"storable"}},
		"bad cert":       {"cert": "not pem"},
		"empty cert":     {"cert": nil},
		"empty offer":    {"auth_offer": []any{}},
		"empty accept":   {"auth_accept": []any{}},
		"empty framings": {"framing_format": []any{}},
	} {
		c := resolveArgs(t, NewRC(), "x", args)
		if _, err := NodeConfig(c); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// The limit keys, which Perl ignores, become the node's limits; written
// by `aemp setmax_send_queue 1048576` they are strings, as Perl stores
// command-line values. Missing keys leave the node defaults (zero here).
func TestNodeConfigLimitKeys(t *testing.T) {
	rc, err := ParseRC([]byte(`{"profile":{"x":{"max_send_queue":"1048576","write_stall_timeout":5,` +
		`"max_recv_queue":524288,"max_recv_queue_len":"32","max_message_size":1048576,` +
		`"heartbeat_interval":"2.5","heartbeat_timeout":4}}}`))
	if err != nil {
		t.Fatal(err)
	}
	nc, err := NodeConfig(resolveArgs(t, rc, "x", nil))
	if err != nil {
		t.Fatal(err)
	}
	if nc.MaxSendQueue != 1<<20 || nc.WriteStallTimeout != 5*time.Second || nc.MaxRecvQueue != 512<<10 ||
		nc.MaxRecvQueueLen != 32 || nc.MaxMessageSize != 1<<20 ||
		nc.HeartbeatInterval != 2500*time.Millisecond || nc.HeartbeatTimeout != 4*time.Second {
		t.Errorf("limits %+v", nc)
	}
	nc, err = NodeConfig(resolveArgs(t, NewRC(), "x", nil))
	if err != nil {
		t.Fatal(err)
	}
	if nc.MaxSendQueue != 0 || nc.HeartbeatInterval != 0 {
		t.Errorf("unset limit keys gave %d, %v; want the node defaults (0)", nc.MaxSendQueue, nc.HeartbeatInterval)
	}
	c := resolveArgs(t, NewRC(), "x", map[string]any{"max_send_queue": []any{1}})
	if _, err := NodeConfig(c); err == nil || !strings.Contains(err.Error(), "max_send_queue") {
		t.Errorf("a list as max_send_queue: %v, want an error naming the key", err)
	}
	// rewriting the rc file keeps the keys Perl does not know
	out, err := rc.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), `"heartbeat_interval"`) {
		t.Errorf("rewritten rc file lost the limit keys:\n%s", out)
	}
}
