package node

import (
	"fmt"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Hung-peer detection, beyond Perl. A stopped or wedged peer keeps its
// TCP connection (the kernel even answers keepalives for a SIGSTOPped
// process), so without help no monitor would ever fire. When a connection
// has received nothing for Config.HeartbeatInterval, the node sends the
// peer's node port a "time" request, which every AEMP node answers
// (Kernel.pm: time => sub { snd @_, AE::now }), with a reply port of its
// own: ["", "time", "<us>#'hb"]. The answer [ "'hb", <time> ] is dropped
// by the reader; any bytes at all count as life. When nothing arrives for
// Config.HeartbeatTimeout after the probe, the connection ends as a
// transport error naming the heartbeat. A Perl node just sends the answer
// (no log line, no state); the port name cannot be one of ours, which are
// alphanumeric.
//
// Time the reader spends stopped by our own receive bound (recvqueue.go)
// is not the peer's silence and does not count.

// heartbeatPort is the reply port of the heartbeat's probes.
const heartbeatPort = "'hb"

// errHeartbeat is the transport error of a peer that did not answer.
type errHeartbeat struct{ d time.Duration }

func (e errHeartbeat) Error() string {
	return fmt.Sprintf("heartbeat timeout: no answer from node in %s", e.d)
}

func (c *conn) startHeartbeat() {
	t := time.AfterFunc(time.Hour, c.heartbeat)
	c.hb.Store(t)
	t.Reset(c.n.cfg.HeartbeatInterval)
}

// heartbeat runs on the heartbeat timer, one call at a time (only it
// re-arms the timer).
func (c *conn) heartbeat() {
	if c.isClosed() {
		return
	}
	iv, to := c.n.cfg.HeartbeatInterval, c.n.cfg.HeartbeatTimeout
	now := monotime()
	if c.recvPaused.Load() {
		c.lastRecv.Store(now)
	}
	last := c.lastRecv.Load()
	if silent := time.Duration(now - last); silent < iv {
		c.hbProbe = 0
		c.hb.Load().Reset(iv - silent)
		return
	}
	if c.hbProbe == 0 || c.hbProbe < last {
		c.hbProbe = now
		c.send(protocol.Message{Data: []any{"time", c.n.id + "#" + heartbeatPort}})
		c.hb.Load().Reset(to)
		return
	}
	if waited := time.Duration(now - c.hbProbe); waited < to {
		c.hb.Load().Reset(to - waited)
		return
	}
	err := errHeartbeat{to}
	c.n.log.Warn("closing connection: peer does not answer", "peer", c.r.id, "err", err)
	c.fail(err)
}
