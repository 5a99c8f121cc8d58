package node

import (
	"fmt"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Hung-peer detection, beyond Perl. A stopped or wedged peer keeps its
// TCP connection (the kernel even answers keepalives for a SIGSTOPped
// process), so without help no monitor would ever fire.
//
// Each connection has a timer that ticks every HeartbeatInterval/2:
//
//   - When nothing was heard from the peer for HeartbeatInterval, it
//     sends the peer's node port a "time" request, which every AEMP node
//     answers (Kernel.pm: time => sub { snd @_, AE::now }), with a reply
//     port of its own: ["", "time", "<us>#'hb"]. The reader drops the
//     answer ["'hb", <time>]; any bytes at all count as life, and so does
//     a write that went on after waiting for the peer's TCP window (the
//     peer read). When nothing arrives for HeartbeatTimeout after the
//     probe, the connection ends as a transport error naming the
//     heartbeat. Worst case from the last sign of life: 1.5 intervals
//     plus the timeout (30 s with the defaults).
//   - When we sent the peer nothing for HeartbeatInterval, it sends an
//     empty request ["", ""] (Kernel.pm: "empty messages are keepalives"),
//     so that a Go peer does not take us for hung while its probe waits
//     behind its own flood in the TCP stream: a slow node is not a hung
//     one. (Perl nodes send no keepalives: a Perl node that needs longer
//     than interval + timeout to work through what is already in the
//     socket buffers, sending nothing meanwhile, is taken for hung; raise
//     heartbeat_timeout for such loads.)
//
// A Perl node answers the probe and ignores the keepalive without a log
// line; the reply port cannot be one of ours, which are alphanumeric.
// Time our reader spends stopped by our own receive bound (recvqueue.go)
// is not the peer's silence and does not count.

// heartbeatPort is the reply port of the heartbeat's probes.
const heartbeatPort = "'hb"

// writeWaitIsLife: a write that made progress after waiting at least
// this long waited for the peer's TCP window, which only the peer's
// reading opens: a sign of life.
const writeWaitIsLife = 5 * time.Millisecond

// errHeartbeat is the transport error of a peer that did not answer.
type errHeartbeat struct{ d time.Duration }

func (e errHeartbeat) Error() string {
	return fmt.Sprintf("heartbeat timeout: no answer from node in %s", e.d)
}

func (c *conn) startHeartbeat() {
	t := time.AfterFunc(time.Hour, c.heartbeat)
	c.hb.Store(t)
	t.Reset(c.n.cfg.HeartbeatInterval / 2)
}

// heartbeat runs on the heartbeat timer, one call at a time (only it
// re-arms the timer).
func (c *conn) heartbeat() {
	if c.isClosed() {
		return
	}
	iv, to := c.n.cfg.HeartbeatInterval, c.n.cfg.HeartbeatTimeout
	now := monotime()
	if c.readerBusy.Load() {
		c.lastLife.Store(now)
	}
	last := c.lastLife.Load()
	switch {
	case time.Duration(now-last) < iv:
		c.hbProbe = 0
	case c.hbProbe == 0 || c.hbProbe < last:
		c.hbProbe = now
		c.send(protocol.Message{Data: []any{"time", c.n.id + "#" + heartbeatPort}})
	case time.Duration(now-c.hbProbe) >= to:
		err := errHeartbeat{to}
		c.n.log.Warn("closing connection: peer does not answer", "peer", c.r.id, "err", err)
		c.fail(err)
		return
	}
	c.mu.Lock()
	quiet := time.Duration(now - c.lastSend)
	c.mu.Unlock()
	if quiet >= iv {
		c.send(protocol.Message{Data: []any{""}})
	}
	next := iv / 2
	if c.hbProbe != 0 {
		next = min(next, to-time.Duration(now-c.hbProbe))
	}
	c.hb.Load().Reset(next)
}
