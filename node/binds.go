package node

import (
	"context"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"
)

// Bind specifications are resolved as Kernel.pm's _resolve does:
//
//   - an entry may hold several comma-separated specifications, tried in
//     order ("127.0.0.1:4040,[::1]:4040");
//   - a bare port, or nothing, means the host name with that port (or 0);
//   - a port "*", or none, means any free port;
//   - a host name binds every address it resolves to ("localhost" gives
//     127.0.0.1 and ::1 where the host has ::1); addresses this host does
//     not have are left out, as AnyEvent leaves out address families the
//     host cannot use;
//   - host "*" binds every address of every interface except IPv4
//     loopback, and for IPv6 only global and unique-local unicast, IPv4
//     before IPv6 on each interface. On a host with only loopback
//     addresses (a container without network) that is no address at all:
//     Perl then starts without listening on that entry, and so does a Go
//     node;
//   - the same address twice is bound once.

// bindResolver holds what resolving binds asks of the system, so tests
// can describe any host.
type bindResolver struct {
	hostname   func() (string, error)
	lookup     func(ctx context.Context, host string) ([]net.IP, error)
	interfaces func() ([][]net.IP, error) // addresses, per interface
}

var systemBinds = bindResolver{
	hostname: os.Hostname,
	lookup: func(ctx context.Context, host string) ([]net.IP, error) {
		addrs, err := net.DefaultResolver.LookupIPAddr(ctx, host)
		ips := make([]net.IP, len(addrs))
		for i, a := range addrs {
			ips[i] = a.IP
		}
		return ips, err
	},
	interfaces: func() ([][]net.IP, error) {
		ifs, err := net.Interfaces()
		if err != nil {
			return nil, err
		}
		out := make([][]net.IP, 0, len(ifs))
		for _, i := range ifs {
			addrs, err := i.Addrs()
			if err != nil {
				continue
			}
			var ips []net.IP
			for _, a := range addrs {
				if ipn, ok := a.(*net.IPNet); ok {
					ips = append(ips, ipn.IP)
				}
			}
			out = append(out, ips)
		}
		return out, nil
	},
}

// resolveTimeout bounds the name lookups of one bind entry.
const resolveTimeout = 10 * time.Second

// resolveBind expands one entry of Config.Binds into listen addresses.
func resolveBind(spec string) ([]string, error) { return systemBinds.resolve(spec) }

func (br bindResolver) resolve(spec string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(spec, ",") {
		addrs, err := br.resolveOne(t)
		if err != nil {
			return nil, err
		}
		for _, a := range addrs {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out, nil
}

func (br bindResolver) resolveOne(t string) ([]string, error) {
	if strings.Trim(t, "0123456789") == "" { // bare port or nothing
		h, err := br.hostname()
		if err != nil {
			return nil, fmt.Errorf("aemp: bind %q: host name: %w", t, err)
		}
		if t == "" {
			t = "0"
		}
		t = net.JoinHostPort(h, t)
	}
	host, port, err := splitBind(t)
	if err != nil {
		return nil, err
	}
	if host == "*" {
		return br.anyAddrs(port)
	}
	if ip := net.ParseIP(host); ip != nil {
		return []string{net.JoinHostPort(ip.String(), port)}, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	ips, err := br.lookup(ctx, host)
	if err != nil {
		return nil, fmt.Errorf("aemp: bind %q: %w", t, err)
	}
	local, err := br.interfaces()
	if err != nil {
		return nil, fmt.Errorf("aemp: bind %q: listing interfaces: %w", t, err)
	}
	var out []string
	for _, v4 := range []bool{true, false} { // AnyEvent prefers IPv4
		for _, ip := range ips {
			if (ip.To4() != nil) == v4 && isLocal(ip, local) {
				out = append(out, net.JoinHostPort(ip.String(), port))
			}
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("aemp: bind %q: %s resolves to %v, none of which is an address of this host", t, host, ips)
	}
	return out, nil
}

// splitBind is AnyEvent::Socket::parse_hostport with default port 0:
// "host:port", "[v6]:port", "[v6]", a bare IPv6 address or a bare host.
func splitBind(t string) (host, port string, err error) {
	host, port, err = net.SplitHostPort(t)
	switch {
	case err == nil:
	case strings.HasPrefix(t, "[") && strings.HasSuffix(t, "]"):
		host, port, err = t[1:len(t)-1], "0", nil
	case net.ParseIP(t) != nil || (t != "" && !strings.ContainsAny(t, ":[] ")):
		host, port, err = t, "0", nil
	default:
		return "", "", fmt.Errorf("aemp: %s: unparsable bind address: %w", t, err)
	}
	if port == "*" || port == "" {
		port = "0"
	}
	if host == "" {
		return "", "", fmt.Errorf("aemp: %s: unparsable bind address: no host", t)
	}
	return host, port, nil
}

// anyAddrs is "*": Kernel.pm's Net::Interface walk.
func (br bindResolver) anyAddrs(port string) ([]string, error) {
	ifs, err := br.interfaces()
	if err != nil {
		return nil, fmt.Errorf("aemp: bind \"*\": listing interfaces: %w", err)
	}
	var out []string
	for _, ips := range ifs {
		for _, v4 := range []bool{true, false} {
			for _, ip := range ips {
				if (ip.To4() != nil) != v4 {
					continue
				}
				if v4 && ip.To4()[0] == 127 {
					continue
				}
				if !v4 && !(ip[0] >= 0x20 && ip[0] <= 0x3f || ip[0] == 0xfc || ip[0] == 0xfd) {
					continue // not global or unique-local unicast
				}
				out = append(out, net.JoinHostPort(ip.String(), port))
			}
		}
	}
	return out, nil
}

// isLocal reports whether this host can listen on ip: it is one of the
// interface addresses, or in 127.0.0.0/8, all of which Linux binds on
// the loopback interface (Debian names the host 127.0.1.1).
func isLocal(ip net.IP, local [][]net.IP) bool {
	if v4 := ip.To4(); v4 != nil && v4[0] == 127 {
		return true
	}
	for _, ips := range local {
		for _, l := range ips {
			if l.Equal(ip) {
				return true
			}
		}
	}
	return false
}
