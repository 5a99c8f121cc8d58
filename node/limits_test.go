package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Tests of the limits and guarantees of the README's "Limits and
// guarantees" section: peers that stop reading, flood, relay into a
// non-reader, hang or come and go never freeze the node or make its
// memory grow without bound.

func quietConfig(id string) Config {
	return Config{NodeID: id, Binds: []string{"127.0.0.1:0"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
}

// within runs f and fails the test when it does not return within d.
func within(t *testing.T, d time.Duration, what string, f func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); f() }()
	select {
	case <-done:
	case <-time.After(d):
		t.Fatalf("%s did not return within %s", what, d)
	}
}

// heapAlloc is the live heap after a collection.
func heapAlloc() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// heapPeak samples the heap until stop is closed and returns the largest
// value seen.
func heapPeak(stop <-chan struct{}) <-chan uint64 {
	out := make(chan uint64, 1)
	go func() {
		var peak uint64
		var m runtime.MemStats
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapAlloc)
			select {
			case <-stop:
				out <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return out
}

// timeRequest asks victim's node port for the time from other and
// returns how long the answer took.
func timeRequest(t *testing.T, other *Node, victim string) time.Duration {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	if _, err := other.Cal(ctx, victim+"#", "time"); err != nil {
		t.Fatalf("time request to %s: %v", victim, err)
	}
	return time.Since(start)
}

func pendingTo(n *Node, id string) int {
	r := n.lockRemote(id)
	defer r.mu.Unlock()
	if r.tr == nil {
		return 0
	}
	r.tr.mu.Lock()
	defer r.tr.mu.Unlock()
	return r.tr.pending
}

// The fault of issue 9: a peer whose TCP window is full froze the node,
// because the dispatch loop wrote to its socket under the remote's lock.
// Now the loop sends to the stopped peer at 1,000 messages/s while a
// healthy peer's node-port requests, UpNodes, NodeIsUp and finally Close
// all return promptly.
func TestPeerThatStopsReadingNeverDelaysOthers(t *testing.T) {
	onTCP(t)
	n := testNode(t, quietConfig("victim"))
	rawPeer(t, n, "json") // authenticates as "raw" and never reads
	other := newTestNode(t, "other", false)
	other.AddAddress("victim", n.Binds()...)
	timeRequest(t, other, "victim") // connected

	payload := strings.Repeat("x", 16<<10) // 16 MB/s: the socket buffers fill within a second
	stop := make(chan struct{})
	var senders sync.WaitGroup
	senders.Add(1)
	go func() {
		defer senders.Done()
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				// on the dispatch goroutine, as a handler would send
				n.loop.post(item{fn: func() { n.Snd("raw#sink", "data", payload) }})
			}
		}
	}()
	defer func() { close(stop); senders.Wait() }()

	var worst time.Duration
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		worst = max(worst, timeRequest(t, other, "victim"))
		within(t, time.Second, "UpNodes", func() { n.UpNodes() })
		within(t, time.Second, "NodeIsUp", func() { n.NodeIsUp("raw") })
		time.Sleep(50 * time.Millisecond)
	}
	if worst > time.Second {
		t.Fatalf("a healthy peer's time request waited %s behind a peer that stopped reading", worst)
	}
	if p := pendingTo(n, "raw"); p < 1<<20 {
		t.Fatalf("only %d bytes queued for the stopped peer: the test did not fill its socket", p)
	}
	t.Logf("worst time request %s; %d MiB queued for the stopped peer", worst, pendingTo(n, "raw")>>20)
	within(t, 2*time.Second, "Close", func() { n.Close() })
}

// Output to a peer that does not read is bounded: past MaxSendQueue the
// connection ends as a transport error that names the limit, and the heap
// stays within a small multiple of the limit.
func TestSendQueueOverflowEndsConnection(t *testing.T) { onEachTransport(t, testSendQueueOverflow) }

func testSendQueueOverflow(t *testing.T) {
	cfg := quietConfig("victim")
	cfg.MaxSendQueue = 2 << 20
	n := testNode(t, cfg)
	rawPeer(t, n, "json")
	reason := make(chan []any, 1)
	if _, err := n.MonFunc("raw#sink", func(r []any) { reason <- r }); err != nil {
		t.Fatal(err)
	}
	base := heapAlloc()
	stop := make(chan struct{})
	peak := heapPeak(stop)
	payload := strings.Repeat("y", 8<<10)
	var got []any
	for i := 0; got == nil && i < 100000; i++ {
		n.Snd("raw#sink", payload)
		select {
		case got = <-reason:
		default:
		}
	}
	if got == nil {
		got = recv(t, reason)
	}
	close(stop)
	want := []any{"transport_error", "raw", "send queue overflow (2 MiB)"}
	if !equalAny(got, want) {
		t.Fatalf("monitor reason %v, want %v", got, want)
	}
	// bound: the queue (2 MiB) and, on the in-memory transport, the
	// peer's receive buffer (256 KiB; TCP's are not in the heap); allow
	// 4x the limit for chunk rounding and the garbage of the loop
	grew := int64(<-peak) - int64(base)
	if grew > 4*int64(cfg.MaxSendQueue)+(16<<20) {
		t.Fatalf("heap grew by %d MiB with a send queue limit of 2 MiB", grew>>20)
	}
	t.Logf("heap peak +%d KiB", grew>>10)
}

func equalAny(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// A write that makes no progress for WriteStallTimeout ends the
// connection as a transport error naming the stall, even when the queue
// is far from its limit.
func TestWriteStallEndsConnection(t *testing.T) { onEachTransport(t, testWriteStall) }

func testWriteStall(t *testing.T) {
	cfg := quietConfig("victim")
	cfg.WriteStallTimeout = 300 * time.Millisecond
	n := testNode(t, cfg)
	rawPeer(t, n, "json")
	reason := make(chan []any, 1)
	n.MonFunc("raw#sink", func(r []any) { reason <- r })
	payload := strings.Repeat("z", 64<<10)
	for i := 0; i < 320; i++ { // 20 MiB: more than loopback buffers hold, less than MaxSendQueue
		n.Snd("raw#sink", payload)
	}
	want := []any{"transport_error", "raw", "write stalled for 300ms"}
	if got := recv(t, reason); !equalAny(got, want) {
		t.Fatalf("monitor reason %v, want %v", got, want)
	}
}

// A peer can make the node relay (["", "snd", port, ...]) into a peer that
// does not read; the relayed output is bounded like any other.
func TestRelayIntoNonReaderIsBounded(t *testing.T) {
	onTCP(t)
	cfg := quietConfig("victim")
	cfg.MaxSendQueue = 2 << 20
	n := testNode(t, cfg)
	rawPeer(t, n, "json") // "raw": the non-reader
	reason := make(chan []any, 1)
	n.MonFunc("raw#sink", func(r []any) { reason <- r })
	relayer := newTestNode(t, "relayer", false)
	relayer.AddAddress("victim", n.Binds()...)
	base := heapAlloc()
	stop := make(chan struct{})
	peak := heapPeak(stop)
	payload := strings.Repeat("r", 8<<10)
	var got []any
	for i := 0; got == nil && i < 100000; i++ {
		relayer.Snd("victim#", "snd", "raw#sink", payload)
		if i%64 == 0 {
			timeRequest(t, relayer, "victim") // keep the relayer's own queue short
		}
		select {
		case got = <-reason:
		default:
		}
	}
	close(stop)
	if got == nil {
		got = recv(t, reason)
	}
	if want := "send queue overflow (2 MiB)"; len(got) != 3 || got[2] != want {
		t.Fatalf("monitor reason %v, want %q", got, want)
	}
	grew := int64(<-peak) - int64(base)
	if grew > 16<<20 {
		t.Fatalf("heap grew by %d MiB relaying into a non-reader with a 2 MiB limit", grew>>20)
	}
	t.Logf("heap peak +%d KiB", grew>>10)
}

// Several peers flooding a slow handler are pushed back: each reader
// stops at MaxRecvQueueLen undispatched messages, memory stays bounded,
// and an idle peer's request overtakes all but the few flood messages the
// bound lets wait in the dispatch queue. (Counted in messages, not in
// time: on a loaded machine a 1 ms handler can take far longer.)
func TestFloodIntoSlowHandlerIsPushedBack(t *testing.T) {
	onTCP(t)
	cfg := quietConfig("victim")
	cfg.MaxRecvQueueLen = 32
	n := testNode(t, cfg)
	var handled atomic.Int64
	slow := n.NewPort(func(*Port, []any) {
		time.Sleep(time.Millisecond)
		handled.Add(1)
	})
	// the idle peer's request: the reply says how many flood messages
	// had been handled when it was
	probe := n.NewPort(func(_ *Port, m []any) { n.sndList([]any{m[len(m)-1], handled.Load()}) })
	flooders := []string{"flood1", "flood2", "flood3"}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for _, id := range flooders {
		f := newTestNode(t, id, false)
		f.AddAddress("victim", n.Binds()...)
		timeRequest(t, f, "victim") // connected: what it sends goes to the socket, not to the connect queue
		wg.Add(1)
		go func() {
			defer wg.Done()
			payload := strings.Repeat("f", 1<<10)
			for {
				select {
				case <-stop:
					return
				default:
				}
				for i := 0; i < 100; i++ {
					f.Snd(slow.ID(), payload)
				}
				// the flooders' own send queues are bounded too: a
				// flooder that outruns the victim's pushback is cut off
				// by its MaxSendQueue; keep this one below it
				for pendingTo(f, "victim") > 1<<20 {
					select {
					case <-stop:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}
		}()
	}
	other := newTestNode(t, "other", false)
	other.AddAddress("victim", n.Binds()...)
	timeRequest(t, other, "victim")
	base := heapAlloc()
	peakStop := make(chan struct{})
	peak := heapPeak(peakStop)
	var worst time.Duration
	var maxAhead, maxLen int64
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		before := handled.Load()
		start := time.Now()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		reply, err := other.Cal(ctx, probe.ID(), "probe")
		cancel()
		if err != nil {
			t.Fatalf("idle peer's request: %v", err)
		}
		worst = max(worst, time.Since(start))
		at, _ := reply[0].(int64)
		maxAhead = max(maxAhead, at-before)
		for _, id := range flooders {
			r := n.lockRemote(id)
			if r.tr != nil {
				maxLen = max(maxLen, r.tr.inqLen.Load())
			}
			r.mu.Unlock()
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(peakStop)
	close(stop)
	wg.Wait()
	if handled.Load() < 100 {
		t.Fatalf("only %d messages handled: the flood did not reach the handler", handled.Load())
	}
	if maxLen > int64(cfg.MaxRecvQueueLen) {
		t.Fatalf("a reader queued %d messages, bound %d", maxLen, cfg.MaxRecvQueueLen)
	}
	// At most 3 x 32 flood messages can be queued ahead of the request,
	// plus those handled while it travelled; without the bound the whole
	// backlog (thousands) is ahead of it.
	if bound := int64(len(flooders)*cfg.MaxRecvQueueLen) + 64; maxAhead > bound {
		t.Fatalf("an idle peer's request waited behind %d flood messages, bound %d", maxAhead, bound)
	}
	grew := int64(<-peak) - int64(base)
	if grew > 32<<20 {
		t.Fatalf("heap grew by %d MiB under a flood of a slow handler", grew>>20)
	}
	t.Logf("%d handled; an idle peer's request waited behind at most %d flood messages (%s); deepest reader queue %d; heap peak +%d KiB",
		handled.Load(), maxAhead, worst, maxLen, grew>>10)
}

// A peer that keeps its connection but answers nothing (a SIGSTOPped
// process: the kernel keeps the socket) is reported by the heartbeat.
func TestHeartbeatDetectsHungPeer(t *testing.T) {
	cfg := quietConfig("victim")
	cfg.HeartbeatInterval = 200 * time.Millisecond
	cfg.HeartbeatTimeout = 300 * time.Millisecond
	n := testNode(t, cfg)
	s := rawPeer(t, n, "json") // reads nothing, answers nothing
	reason := make(chan []any, 1)
	n.MonFunc("raw#x", func(r []any) { reason <- r })
	// the probe is the node port's time request with the heartbeat's port
	dec, _ := protocol.NewDecoder(s.RecvFraming, s.Reader)
	s.Conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		m, err := dec.Decode()
		if err != nil {
			t.Fatalf("no heartbeat probe: %v", err)
		}
		if m.Port == "" && len(m.Data) == 2 && m.Data[0] == "time" {
			if m.Data[1] != "victim#"+heartbeatPort {
				t.Fatalf("probe %v", m.Data)
			}
			break
		}
	}
	want := []any{"transport_error", "raw", "heartbeat timeout: no answer from node in 300ms"}
	if got := recv(t, reason); !equalAny(got, want) {
		t.Fatalf("monitor reason %v, want %v", got, want)
	}
}

// Two nodes whose connection is idle answer each other's probes and stay
// connected; the answers reach no port and are not logged.
func TestHeartbeatKeepsIdleConnectionUp(t *testing.T) {
	mk := func(id string) *Node {
		cfg := Config{NodeID: id, Binds: []string{"127.0.0.1:0"}}
		cfg.HeartbeatInterval = 50 * time.Millisecond
		cfg.HeartbeatTimeout = 200 * time.Millisecond
		return testNode(t, cfg)
	}
	a, b := mk("a"), mk("b")
	a.AddAddress("b", b.Binds()...)
	bp := b.NewPort(func(*Port, []any) {})
	lost := make(chan []any, 1)
	a.MonFunc(bp.ID(), func(r []any) { lost <- r })
	timeRequest(t, a, "b")
	// probes and answers are the only traffic now: wait for 20 of them,
	// about 10 heartbeat intervals, over twice the heartbeat timeout
	exchanged := func() uint64 {
		return peerOf(t, a.Stats(), "b").MessagesIn + peerOf(t, b.Stats(), "a").MessagesIn
	}
	base := exchanged()
	eventually(t, "20 heartbeat messages", func() bool { return exchanged() >= base+20 })
	select {
	case r := <-lost:
		t.Fatalf("idle connection lost: %v", r)
	default:
	}
	if !a.NodeIsUp("b") || !b.NodeIsUp("a") {
		t.Fatal("idle connection went down")
	}
}

// Nothing is kept per departed peer: many short-lived clients with fresh
// node IDs (what `aemp-go cal` is) leave the heap where it was.
func TestDepartedPeersLeaveNothing(t *testing.T) {
	onTCP(t)
	n := testNode(t, quietConfig("seed"))
	addr := n.Binds()[0]
	connectOnce := func(id string) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		s, err := protocol.Handshake(ctx, c, &protocol.HandshakeConfig{NodeID: id, Secret: testSecret})
		if err != nil {
			t.Fatal(err)
		}
		s.Conn.Close()
	}
	settle := func() {
		eventually(t, "departed peers pruned", func() bool {
			n.mu.Lock()
			defer n.mu.Unlock()
			return len(n.remotes) == 0
		})
	}
	for i := range 100 { // warm up pools and maps
		connectOnce("warm" + strconv.Itoa(i))
	}
	settle()
	before := heapAlloc()
	for i := range departedConns {
		connectOnce("fresh" + strconv.Itoa(i))
	}
	settle()
	after := heapAlloc()
	grew := int64(after) - int64(before)
	t.Logf("heap %d KiB before, %d KiB after %d peers came and went", before>>10, after>>10, departedConns)
	if grew > 4<<20 {
		t.Fatalf("heap grew by %d KiB after %d peers came and went", grew>>10, departedConns)
	}
}

// A blocked call ends with ErrClosed when the node closes.
func TestCloseEndsBlockedCalls(t *testing.T) {
	n := newTestNode(t, "n", false)
	asked := make(chan []any, 1)
	silent := n.NewPort(func(_ *Port, m []any) { asked <- m }) // never replies
	errs := make(chan error, 2)
	go func() {
		_, err := n.Cal(context.Background(), silent.ID(), "hello")
		errs <- err
	}()
	go func() {
		_, err := n.DBFamily(context.Background(), "family") // no master: never answered
		errs <- err
	}()
	recv(t, asked) // Cal waits for the reply
	eventually(t, "DbFamily waits for the master", func() bool {
		n.mu.Lock()
		defer n.mu.Unlock()
		return len(n.g.replies) == 1
	})
	within(t, 2*time.Second, "Close", func() { n.Close() })
	for range 2 {
		if err := recv(t, errs); !errors.Is(err, ErrClosed) {
			t.Fatalf("blocked call returned %v, want ErrClosed", err)
		}
	}
}

// After Close every call returns ErrClosed or is a documented no-op.
func TestCallsAfterCloseAreRefused(t *testing.T) {
	n := newTestNode(t, "n", true)
	p := n.NewPort(func(*Port, []any) {})
	n.Close()
	for what, err := range map[string]error{
		"Snd local":  n.Snd(p.ID(), "x"),
		"Snd remote": n.Snd("other#p", "x"),
		"Kil":        n.Kil(p.ID()),
		"Kil remote": n.Kil("other#p"),
		"Start":      n.Start(),
	} {
		if !errors.Is(err, ErrClosed) {
			t.Errorf("%s after Close: %v, want ErrClosed", what, err)
		}
	}
	if _, err := n.MonFunc(p.ID(), func([]any) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("MonFunc after Close: %v", err)
	}
	if _, err := n.DBSet("family", "key", 1); !errors.Is(err, ErrClosed) {
		t.Errorf("DBSet after Close: %v", err)
	}
	if _, err := n.Cal(context.Background(), p.ID(), "x"); !errors.Is(err, ErrClosed) {
		t.Errorf("Cal after Close: %v", err)
	}
	if _, err := n.CalFunc(0, p.ID(), func([]any, error) {}); !errors.Is(err, ErrClosed) {
		t.Errorf("CalFunc after Close: %v", err)
	}
	if _, err := n.Spawn("other", "X::y"); !errors.Is(err, ErrClosed) {
		t.Errorf("Spawn after Close: %v", err)
	}
	if _, err := n.Connect(context.Background(), "127.0.0.1:1"); !errors.Is(err, ErrClosed) {
		t.Errorf("Connect after Close: %v", err)
	}
	if _, err := n.DBKeys(context.Background(), "family"); !errors.Is(err, ErrClosed) {
		t.Errorf("DBKeys after Close: %v", err)
	}
	if q := n.NewPort(func(*Port, []any) {}); q.Alive() {
		t.Error("NewPort after Close made a live port")
	}
}

// The oversize reason names the size, the limit and the config key.
func TestOversizeReasonNamesLimitAndKey(t *testing.T) {
	err := oversizeError(errors.New("message too large: 17825792 bytes"), 16<<20)
	for _, want := range []string{"17825792 bytes", "16 MiB", "Config.MaxMessageSize", "max_message_size"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %q", err, want)
		}
	}
}

// A message over MaxMessageSize closes the connection before it is
// buffered, with a transport error that names the limit.
func TestOversizeMessageEndsConnection(t *testing.T) {
	cfg := quietConfig("victim")
	cfg.MaxMessageSize = 1 << 10
	n := testNode(t, cfg)
	s := rawPeer(t, n, "json")
	reason := make(chan []any, 1)
	n.MonFunc("raw#x", func(r []any) { reason <- r })
	io.WriteString(s.Conn, `["x","`+strings.Repeat("o", 4<<10)+`"]`)
	if got := recv(t, reason); len(got) != 3 || !strings.Contains(got[2].(string), "max_message_size") {
		t.Fatalf("monitor reason %v", got)
	}
}

// Messages queued while a connection is being made are bounded by the
// same limit: a peer that accepts TCP but never finishes the handshake
// does not make the queue grow without end.
func TestConnectQueueOverflowEndsAttempt(t *testing.T) {
	ln, err := testTransport(t).Listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 100)
	defer func() {
		ln.Close()
		for len(accepted) > 0 {
			(<-accepted).Close()
		}
	}()
	go func() { // accept and say nothing
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			select {
			case accepted <- c:
			default:
				c.Close()
			}
		}
	}()
	cfg := quietConfig("sender")
	cfg.MaxSendQueue = 1 << 20
	cfg.ConnectInterval = 20 * time.Second // the queue, not the connect timeout, must end it
	n := testNode(t, cfg)
	n.AddAddress("mute", ln.Addr().String())
	reason := make(chan []any, 1)
	n.MonFunc("mute#p", func(r []any) { reason <- r })
	payload := strings.Repeat("q", 8<<10)
	var got []any
	for i := 0; got == nil && i < 10000; i++ {
		n.Snd("mute#p", payload)
		select {
		case got = <-reason:
		default:
		}
	}
	if got == nil {
		got = recv(t, reason)
	}
	want := []any{"transport_error", "mute", "send queue overflow (1 MiB) while connecting"}
	if !equalAny(got, want) {
		t.Fatalf("monitor reason %v, want %v", got, want)
	}
}

// A node that is slow, not hung, keeps its connections: when a peer
// floods it, its reader stops (receive bound), the peer's heartbeat probe
// waits behind the flood in the TCP stream, and only the keepalives the
// slow node sends while its reader waits keep the peer from declaring it
// hung.
func TestSlowNodeIsNotTakenForHung(t *testing.T) {
	onTCP(t)
	mk := func(id string) *Node {
		cfg := quietConfig(id)
		cfg.HeartbeatInterval = 100 * time.Millisecond
		cfg.HeartbeatTimeout = 200 * time.Millisecond
		cfg.MaxRecvQueueLen = 8
		return testNode(t, cfg)
	}
	slow, flooder := mk("slow"), mk("flooder")
	flooder.AddAddress("slow", slow.Binds()...)
	sink := slow.NewPort(func(*Port, []any) { time.Sleep(2 * time.Millisecond) })
	lost := make(chan []any, 1)
	flooder.MonFunc(sink.ID(), func(r []any) { lost <- r })
	timeRequest(t, flooder, "slow")
	payload := strings.Repeat("s", 1<<10)
	for range 2000 { // 4 s of work for the slow node; far more than the socket buffers hold in messages
		flooder.Snd(sink.ID(), payload)
	}
	select {
	case r := <-lost:
		t.Fatalf("the flooder took the slow node for hung: %v", r)
	case <-time.After(1500 * time.Millisecond): // 15 heartbeat intervals
	}
}
