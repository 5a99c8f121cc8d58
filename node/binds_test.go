package node

import (
	"context"
	"errors"
	"net"
	"reflect"
	"testing"
)

// fakeHost describes a host for bind resolution.
func fakeHost(ifaces [][]string, names map[string][]string) bindResolver {
	return bindResolver{
		hostname: func() (string, error) { return "myhost", nil },
		lookup: func(_ context.Context, host string) ([]net.IP, error) {
			l, ok := names[host]
			if !ok {
				return nil, errors.New("no such host")
			}
			ips := make([]net.IP, len(l))
			for i, s := range l {
				ips[i] = net.ParseIP(s)
			}
			return ips, nil
		},
		interfaces: func() ([][]net.IP, error) {
			out := make([][]net.IP, len(ifaces))
			for i, l := range ifaces {
				for _, s := range l {
					out[i] = append(out[i], net.ParseIP(s))
				}
			}
			return out, nil
		},
	}
}

var (
	loopbackOnly = [][]string{{"127.0.0.1", "::1"}}
	networked    = [][]string{{"127.0.0.1", "::1"}, {"192.0.2.2", "fd00::2", "fe80::1", "2001:db8::7"}, {"10.1.2.3"}}
	hostNames    = map[string][]string{
		"localhost": {"::1", "127.0.0.1"},
		"myhost":    {"192.0.2.2"},
		"v4only":    {"127.0.0.1"},
		"elsewhere": {"198.51.100.9"},
		"debian":    {"127.0.1.1"},
	}
)

func TestResolveBindLikeKernelResolve(t *testing.T) {
	for _, tc := range []struct {
		host [][]string
		spec string
		want []string
	}{
		// a host name binds every address it resolves to, IPv4 first
		{networked, "localhost:4040", []string{"127.0.0.1:4040", "[::1]:4040"}},
		// ... but only addresses the host has
		{[][]string{{"127.0.0.1"}}, "localhost:4040", []string{"127.0.0.1:4040"}},
		{networked, "debian:1", []string{"127.0.1.1:1"}},
		// comma-separated entries, duplicates bound once
		{networked, "127.0.0.1:1,[::1]:2,127.0.0.1:1", []string{"127.0.0.1:1", "[::1]:2"}},
		{networked, "v4only:5,localhost:5", []string{"127.0.0.1:5", "[::1]:5"}},
		// "*" port and no port mean any free port
		{networked, "127.0.0.1:*", []string{"127.0.0.1:0"}},
		{networked, "localhost", []string{"127.0.0.1:0", "[::1]:0"}},
		{networked, "[::1]", []string{"[::1]:0"}},
		{networked, "::1", []string{"[::1]:0"}},
		// a bare port, or nothing, is the host name
		{networked, "4040", []string{"192.0.2.2:4040"}},
		{networked, "", []string{"192.0.2.2:0"}},
		// "*": every interface but loopback, IPv6 global and unique-local only
		{networked, "*:4040", []string{"192.0.2.2:4040", "[fd00::2]:4040", "[2001:db8::7]:4040", "10.1.2.3:4040"}},
		{networked, "*", []string{"192.0.2.2:0", "[fd00::2]:0", "[2001:db8::7]:0", "10.1.2.3:0"}},
		// "*" on a host with only loopback: no address, no error (Perl
		// starts without that listener)
		{loopbackOnly, "*:*", nil},
		{loopbackOnly, "*:4040,127.0.0.1:4041", []string{"127.0.0.1:4041"}},
	} {
		got, err := fakeHost(tc.host, hostNames).resolve(tc.spec)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("resolve(%q) = %q, %v; want %q", tc.spec, got, err, tc.want)
		}
	}
}

func TestResolveBindErrors(t *testing.T) {
	for _, spec := range []string{"nosuchhost:1", "elsewhere:1", "a:b:c", "127.0.0.1:1,nosuchhost:2"} {
		if got, err := fakeHost(networked, hostNames).resolve(spec); err == nil {
			t.Errorf("resolve(%q) = %q, want an error", spec, got)
		}
	}
}

// TestStartWithLocalhostBind binds a real node to "localhost:0": it
// listens on 127.0.0.1 and, where the host has it, on ::1.
func TestStartWithLocalhostBind(t *testing.T) {
	n := testNode(t, Config{NodeID: "lh", Binds: []string{"localhost:0"}})
	binds := n.Binds()
	if len(binds) == 0 {
		t.Fatal("no listener")
	}
	for _, b := range binds {
		host, _, _ := net.SplitHostPort(b)
		if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
			t.Fatalf("bound %s", b)
		}
	}
}
