package node

// Inbound backpressure. A reader hands each message to the dispatch loop
// without waiting; what it handed over and the loop has not run yet
// counts against two per-connection bounds, Config.MaxRecvQueue (bytes,
// estimated from the decoded values) and Config.MaxRecvQueueLen
// (messages). A reader at either bound stops reading until the loop has
// worked its queue down to half of both, so the peer's TCP window fills
// and the peer is pushed back, as a Perl node pushes back by not reading
// while a handler runs. Because the loop's queue is one FIFO, a request
// from an idle peer waits behind at most MaxRecvQueueLen messages of each
// flooding connection.

// queued counts an item against the connection's receive bound.
func (c *conn) queued(it *item) {
	if c == nil {
		return
	}
	it.from = c
	it.size = int64(approxSize(it.data) + len(it.port))
	c.inqBytes.Add(it.size)
	c.inqLen.Add(1)
}

// dispatched releases an item's share of the bound and wakes the reader
// once the queue is down to half.
func (c *conn) dispatched(size int64) {
	b, k := c.inqBytes.Add(-size), c.inqLen.Add(-1)
	if c.readerBusy.Load() && c.recvDrained(b, k) {
		select {
		case c.room <- struct{}{}:
		default:
		}
	}
}

func (c *conn) recvFull() bool {
	return c.inqBytes.Load() >= int64(c.n.cfg.MaxRecvQueue) || c.inqLen.Load() >= int64(c.n.cfg.MaxRecvQueueLen)
}

func (c *conn) recvDrained(b, k int64) bool {
	return b <= int64(c.n.cfg.MaxRecvQueue/2) && k <= int64(c.n.cfg.MaxRecvQueueLen/2)
}

// awaitRoom stops the reader while its connection is at its bound. It
// reports false when the connection closed meanwhile. Time spent here is
// our own doing, not the peer's silence: the heartbeat does not count it.
func (c *conn) awaitRoom() bool {
	if !c.recvFull() {
		return true
	}
	c.readerBusy.Store(true)
	defer func() {
		c.lastLife.Store(monotime())
		c.readerBusy.Store(false)
	}()
	for !c.recvDrained(c.inqBytes.Load(), c.inqLen.Load()) {
		select {
		case <-c.room:
		case <-c.done:
			return false
		}
	}
	return true
}

// approxSize estimates the memory a decoded message holds: string and
// byte lengths plus a word or two per value. It is a bound's yardstick,
// not an exact count.
func approxSize(v any) int {
	switch x := v.(type) {
	case string:
		return 16 + len(x)
	case []byte:
		return 24 + len(x)
	case []any:
		s := 24
		for _, e := range x {
			s += approxSize(e)
		}
		return s
	case map[string]any:
		s := 48
		for k, e := range x {
			s += 16 + len(k) + approxSize(e)
		}
		return s
	}
	return 16
}
