package main

import (
	"net"
	"strconv"
	"testing"

	"github.com/aemp-go/aemp-go/internal/dnstest"
	"github.com/aemp-go/aemp-go/node"
)

const srvName = "_aemp._tcp.example.org"

// End to end: a protocol command finds its seed through SRV.
func TestCalThroughSRVSeed(t *testing.T) {
	n := startNode(t, node.Config{NodeID: "target"})
	host, port, _ := net.SplitHostPort(n.Binds()[0])
	p, _ := strconv.Atoi(port)
	d := dnstest.Start(t)
	d.Set(srvName, dnstest.RR(1, 0, 1, "127.0.0.1."), dnstest.RR(0, 0, uint16(p), host+"."))
	tempRC(t, `{"version":1,"secret":"`+testSecret+`","seeds":["srv:`+srvName+`"]}`)
	r := mustAemp(t, "--dns-server", d.Addr, "cal", "target", "time")
	if r.stdout == "" {
		t.Error("no reply")
	}
}
