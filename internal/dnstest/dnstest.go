// Package dnstest runs a DNS server on 127.0.0.1 for tests of SRV seeds.
package dnstest

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// Server answers SRV questions from a table the test can change; names
// not in the table get NXDOMAIN.
type Server struct {
	Addr string // host:port (UDP)

	mu       sync.Mutex
	srv      map[string][]*dns.SRV
	nxdomain chan struct{} // one token once a question was answered NXDOMAIN
}

// Start starts a server; it stops when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := &Server{Addr: pc.LocalAddr().String(), srv: map[string][]*dns.SRV{}, nxdomain: make(chan struct{}, 1)}
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
				defer func() {
					select {
					case d.nxdomain <- struct{}{}:
					default:
					}
				}()
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

// Set replaces the records of an SRV name.
func (d *Server) Set(name string, recs ...*dns.SRV) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.srv[dns.Fqdn(name)] = recs
}

// RR is an SRV record for Set.
func RR(prio, weight, port uint16, target string) *dns.SRV {
	return &dns.SRV{Priority: prio, Weight: weight, Port: port, Target: target}
}

// NXDomain receives a value after a question was answered with NXDOMAIN
// (the answer was written).
func (d *Server) NXDomain() <-chan struct{} { return d.nxdomain }
