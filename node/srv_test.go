package node

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/internal/dnstest"
	"github.com/miekg/dns"
)

const srvName = "_aemp._tcp.example.org"

func TestSRVLookupOrder(t *testing.T) {
	d := dnstest.Start(t)
	d.Set(srvName,
		dnstest.RR(20, 0, 3, "late.example.org."),
		dnstest.RR(10, 10, 2, "light.example.org."),
		dnstest.RR(10, 90, 1, "heavy.example.org."),
		dnstest.RR(5, 0, 4, "first.example.org."),
	)
	// Picking 0 always takes the first record of the running sum.
	r := &SRVResolver{Server: d.Addr, intn: func(int) int { return 0 }}
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
	recs := []*dns.SRV{dnstest.RR(1, 5, 1, "a."), dnstest.RR(1, 0, 2, "b."), dnstest.RR(1, 0, 3, "c.")}
	// Zero weights go first in the running sum, so 0 picks them.
	got := orderSRV(recs, func(int) int { return 0 })
	if got[0].Port != 2 || got[1].Port != 3 || got[2].Port != 1 {
		t.Errorf("order %v %v %v", got[0].Port, got[1].Port, got[2].Port)
	}
}

func TestSRVExpandMixedSeeds(t *testing.T) {
	d := dnstest.Start(t)
	d.Set(srvName, dnstest.RR(1, 0, 4040, "127.0.0.1."), dnstest.RR(2, 0, 4041, "127.0.0.2."))
	d.Set("_none._tcp.example.org", dnstest.RR(0, 0, 0, "."))
	r := &SRVResolver{Server: d.Addr}
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

// TestNodeFindsSeedThroughSRV: a srv: entry in Config.Seeds works in the
// library, and is looked up again at every retry until it has targets.
func TestNodeFindsSeedThroughSRV(t *testing.T) {
	addr := freeAddr(t)
	seed := startNode(t, "seed", []string{addr}, []string{addr})
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	d := dnstest.Start(t)
	n := testNode(t, Config{NodeID: "n", Seeds: []string{"srv:" + srvName}, SRV: &SRVResolver{Server: d.Addr}})
	up := make(chan string, 1)
	n.MonNodes(func(id string, isUp bool, _ []any) { // n can reach no node before the Set below
		if isUp {
			select {
			case up <- id:
			default:
			}
		}
	})
	recv(t, d.NXDomain()) // the first lookup finds nothing
	d.Set(srvName, dnstest.RR(1, 0, uint16(p), host+"."))
	// the retry delay doubles (0.6-1.2 s first): allow a few rounds
	select {
	case id := <-up:
		if id != "seed" {
			t.Fatalf("node %s came up, want seed", id)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("n never connected to its SRV seed")
	}
	eventually(t, "seed is n's master", func() bool { return n.masterID() == "seed" })
	_ = seed
}
