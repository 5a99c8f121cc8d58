package main

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
	"github.com/miekg/dns"
)

// dnsServer is a DNS server on 127.0.0.1 that answers SRV questions from
// a table the test can change.
type dnsServer struct {
	addr string
	mu   sync.Mutex
	srv  map[string][]*dns.SRV
}

func startDNS(t *testing.T) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &dnsServer{addr: pc.LocalAddr().String(), srv: map[string][]*dns.SRV{}}
	started := make(chan struct{})
	server := &dns.Server{PacketConn: pc, NotifyStartedFunc: func() { close(started) },
		Handler: dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
			m := new(dns.Msg)
			m.SetReply(req)
			d.mu.Lock()
			recs, ok := d.srv[req.Question[0].Name]
			d.mu.Unlock()
			if !ok {
				m.Rcode = dns.RcodeNameError
			}
			for _, r := range recs {
				rr := *r
				rr.Hdr = dns.RR_Header{Name: req.Question[0].Name, Rrtype: dns.TypeSRV, Class: dns.ClassINET, Ttl: 60}
				m.Answer = append(m.Answer, &rr)
			}
			w.WriteMsg(m)
		})}
	go server.ActivateAndServe()
	t.Cleanup(func() { server.Shutdown() })
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("DNS server did not start")
	}
	return d
}

func (d *dnsServer) set(name string, recs ...*dns.SRV) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.srv[dns.Fqdn(name)] = recs
}

func srvRR(prio, weight, port uint16, target string) *dns.SRV {
	return &dns.SRV{Priority: prio, Weight: weight, Port: port, Target: target}
}

const srvName = "_aemp._tcp.example.org"

func TestSRVLookupOrder(t *testing.T) {
	d := startDNS(t)
	d.set(srvName,
		srvRR(20, 0, 3, "late.example.org."),
		srvRR(10, 10, 2, "light.example.org."),
		srvRR(10, 90, 1, "heavy.example.org."),
		srvRR(5, 0, 4, "first.example.org."),
	)
	// Picking 0 always takes the first record of the running sum.
	r := &SRVResolver{Server: d.addr, intn: func(int) int { return 0 }}
	got, err := r.Lookup(context.Background(), srvName)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"first.example.org:4", "light.example.org:2", "heavy.example.org:1", "late.example.org:3"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	// Picking the top of the range takes the last record.
	r.intn = func(n int) int { return n - 1 }
	got, _ = r.Lookup(context.Background(), srvName)
	if got[1] != "heavy.example.org:1" || got[0] != "first.example.org:4" || got[3] != "late.example.org:3" {
		t.Errorf("got %q", got)
	}

	// With real randomness the 90-weight target comes first about 90%
	// of the time, and priorities never mix.
	r.intn = nil
	heavy := 0
	const runs = 400
	for range runs {
		got, err := r.Lookup(context.Background(), srvName)
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != "first.example.org:4" || got[3] != "late.example.org:3" {
			t.Fatalf("priority order broken: %q", got)
		}
		if got[1] == "heavy.example.org:1" {
			heavy++
		}
	}
	if heavy < runs*75/100 || heavy > runs*99/100 {
		t.Errorf("heavy target first in %d of %d runs, want about 90%%", heavy, runs)
	}
}

func TestOrderSRVZeroWeights(t *testing.T) {
	recs := []*dns.SRV{srvRR(1, 5, 1, "a."), srvRR(1, 0, 2, "b."), srvRR(1, 0, 3, "c.")}
	// Zero weights go first in the running sum, so 0 picks them.
	got := orderSRV(recs, func(int) int { return 0 })
	if got[0].Port != 2 || got[1].Port != 3 || got[2].Port != 1 {
		t.Errorf("order %v %v %v", got[0].Port, got[1].Port, got[2].Port)
	}
}

func TestSRVExpandMixedSeeds(t *testing.T) {
	d := startDNS(t)
	d.set(srvName, srvRR(1, 0, 4040, "127.0.0.1."), srvRR(2, 0, 4041, "127.0.0.2."))
	d.set("_none._tcp.example.org", srvRR(0, 0, 0, "."))
	r := &SRVResolver{Server: d.addr}
	got, errs := r.Expand(context.Background(), []string{
		"10.0.0.1:1", "srv:" + srvName, "10.0.0.1:1", "srv:_missing._tcp.example.org", "srv:_none._tcp.example.org", "127.0.0.2:4041", "[::1]:5",
	})
	want := []string{"10.0.0.1:1", "127.0.0.1:4040", "127.0.0.2:4041", "[::1]:5"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if len(errs) != 2 {
		t.Errorf("want errors for the missing name and the '.' target, got %v", errs)
	}
}

func TestSeedResolver(t *testing.T) {
	if SeedResolver([]string{"a:1"}, &SRVResolver{}, nil) != nil {
		t.Error("no srv: seed, nothing to re-resolve")
	}
	d := startDNS(t)
	d.set(srvName, srvRR(1, 0, 1, "one."))
	f := SeedResolver([]string{"srv:" + srvName, "plain:2"}, &SRVResolver{Server: d.addr}, nil)
	if got := f(); !reflect.DeepEqual(got, []string{"one:1", "plain:2"}) {
		t.Errorf("first resolution %q", got)
	}
	d.set(srvName, srvRR(1, 0, 1, "two."))
	if got := f(); !reflect.DeepEqual(got, []string{"two:1", "plain:2"}) {
		t.Errorf("re-resolution %q", got)
	}
}

func TestResolvConfServers(t *testing.T) {
	path := filepath.Join(t.TempDir(), "resolv.conf")
	os.WriteFile(path, []byte("nameserver 127.0.0.9\nnameserver ::1\n"), 0o600)
	got, err := (&SRVResolver{ResolvConf: path}).servers()
	if err != nil || !reflect.DeepEqual(got, []string{"127.0.0.9:53", "[::1]:53"}) {
		t.Errorf("servers %q %v", got, err)
	}
	os.WriteFile(path, []byte("# nothing\n"), 0o600)
	if _, err := (&SRVResolver{ResolvConf: path}).servers(); err == nil {
		t.Error("no nameserver should be an error")
	}
}

// End to end: a protocol command finds its seed through SRV.
func TestCalThroughSRVSeed(t *testing.T) {
	n := startNode(t, node.Config{NodeID: "target"})
	host, port, _ := net.SplitHostPort(n.Binds()[0])
	var p uint16
	for _, c := range port {
		p = p*10 + uint16(c-'0')
	}
	d := startDNS(t)
	d.set(srvName, srvRR(1, 0, 1, "127.0.0.1."), srvRR(0, 0, p, host+"."))
	tempRC(t, `{"version":1,"secret":"`+testSecret+`","seeds":["srv:`+srvName+`"]}`)
	r := mustAemp(t, "--dns-server", d.addr, "cal", "target", "time")
	if r.stdout == "" {
		t.Error("no reply")
	}
}
