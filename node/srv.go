package node

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// SRVPrefix marks a seed given as a DNS SRV name, an aemp-go extension:
// "srv:_aemp._tcp.example.org" stands for the targets of that SRV
// record. Config.Seeds may hold such entries; the node resolves them when
// it starts and again every time it retries its seeds. Perl nodes read
// such an entry as a host name and fail to connect to it, so only put SRV
// seeds into profiles that Go nodes use.
const SRVPrefix = "srv:"

// defaultResolvConf is where the DNS servers come from by default.
const defaultResolvConf = "/etc/resolv.conf"

// SRVResolver looks up DNS SRV seeds with its own DNS client (miekg/dns),
// so that the server can be chosen: tests start one on 127.0.0.1, and
// operators can point --dns-server at the server that holds the records.
type SRVResolver struct {
	// Server is the DNS server, "host:port". Empty means every
	// nameserver of ResolvConf, in order.
	Server string
	// ResolvConf is the resolv.conf to read; empty means
	// /etc/resolv.conf.
	ResolvConf string
	// Timeout bounds each query; 0 means 2 s.
	Timeout time.Duration

	// intn returns a random number in [0, n); nil is math/rand/v2.IntN.
	// Tests replace it to make the weighted order predictable.
	intn func(n int) int
}

// IsSRVSeed reports whether a seed entry is a DNS SRV name.
func IsSRVSeed(seed string) bool { return strings.HasPrefix(seed, SRVPrefix) }

// Lookup returns the "host:port" targets of an SRV name in the order
// RFC 2782 says to try them: by priority, lowest first, and within one
// priority in a weighted random order. A target of "." (the service is
// decidedly not available) gives no addresses.
func (r *SRVResolver) Lookup(ctx context.Context, name string) ([]string, error) {
	servers, err := r.servers()
	if err != nil {
		return nil, err
	}
	m := new(dns.Msg)
	m.SetQuestion(dns.Fqdn(name), dns.TypeSRV)
	m.RecursionDesired = true
	var lastErr error
	for _, server := range servers {
		reply, err := r.exchange(ctx, m, server)
		if err != nil {
			lastErr = err
			continue
		}
		if reply.Rcode != dns.RcodeSuccess {
			return nil, fmt.Errorf("SRV %s: %s", name, dns.RcodeToString[reply.Rcode])
		}
		var recs []*dns.SRV
		for _, rr := range reply.Answer {
			if srv, ok := rr.(*dns.SRV); ok && srv.Target != "." {
				recs = append(recs, srv)
			}
		}
		addrs := make([]string, 0, len(recs))
		for _, srv := range orderSRV(recs, r.intn) {
			host := strings.TrimSuffix(srv.Target, ".")
			addrs = append(addrs, net.JoinHostPort(host, strconv.Itoa(int(srv.Port))))
		}
		return addrs, nil
	}
	return nil, fmt.Errorf("SRV %s: %w", name, lastErr)
}

// servers lists the DNS servers to ask.
func (r *SRVResolver) servers() ([]string, error) {
	if r.Server != "" {
		return []string{r.Server}, nil
	}
	path := r.ResolvConf
	if path == "" {
		path = defaultResolvConf
	}
	cc, err := dns.ClientConfigFromFile(path)
	if err != nil {
		return nil, fmt.Errorf("no DNS server for SRV seeds: %w", err)
	}
	if len(cc.Servers) == 0 {
		return nil, fmt.Errorf("no DNS server for SRV seeds: %s lists none", path)
	}
	out := make([]string, len(cc.Servers))
	for i, s := range cc.Servers {
		out[i] = net.JoinHostPort(s, cc.Port)
	}
	return out, nil
}

// exchange asks one server over UDP, and again over TCP when the answer
// was truncated.
func (r *SRVResolver) exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	timeout := r.Timeout
	if timeout <= 0 {
		timeout = 2 * time.Second
	}
	c := &dns.Client{Net: "udp", Timeout: timeout}
	reply, _, err := c.ExchangeContext(ctx, m, server)
	if err == nil && reply.Truncated {
		c.Net = "tcp"
		reply, _, err = c.ExchangeContext(ctx, m, server)
	}
	return reply, err
}

// orderSRV sorts records as RFC 2782 prescribes: ascending priority;
// within a priority repeatedly pick one at random with a probability
// proportional to its weight (records of weight 0 come first in the
// running sum, so they are picked rarely but can be picked).
func orderSRV(recs []*dns.SRV, intn func(int) int) []*dns.SRV {
	if intn == nil {
		intn = rand.IntN
	}
	recs = slices.Clone(recs)
	slices.SortStableFunc(recs, func(a, b *dns.SRV) int {
		switch {
		case a.Priority != b.Priority:
			return int(a.Priority) - int(b.Priority)
		case a.Weight == 0 && b.Weight != 0:
			return -1
		case b.Weight == 0 && a.Weight != 0:
			return 1
		}
		return 0
	})
	out := make([]*dns.SRV, 0, len(recs))
	for len(recs) > 0 {
		end := 1
		for end < len(recs) && recs[end].Priority == recs[0].Priority {
			end++
		}
		group := recs[:end]
		recs = recs[end:]
		for len(group) > 0 {
			sum := 0
			for _, r := range group {
				sum += int(r.Weight)
			}
			pick := intn(sum + 1) // uniform in [0, sum]
			i, run := 0, 0
			for ; i < len(group)-1; i++ {
				if run += int(group[i].Weight); run >= pick {
					break
				}
			}
			out = append(out, group[i])
			group = slices.Delete(group, i, i+1)
		}
	}
	return out
}

// Expand replaces every srv: seed by its targets, in place, keeping
// plain host:port seeds as they are and dropping repeats. A failed
// lookup is reported and skipped, so one broken record does not take the
// other seeds with it.
func (r *SRVResolver) Expand(ctx context.Context, seeds []string) ([]string, []error) {
	var out []string
	var errs []error
	seen := map[string]bool{}
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, s := range seeds {
		name, ok := strings.CutPrefix(s, SRVPrefix)
		if !ok {
			add(s)
			continue
		}
		addrs, err := r.Lookup(ctx, name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(addrs) == 0 {
			errs = append(errs, fmt.Errorf("SRV %s: no targets", name))
		}
		for _, a := range addrs {
			add(a)
		}
	}
	return out, errs
}
