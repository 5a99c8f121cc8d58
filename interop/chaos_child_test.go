package interop

// The Go node of the chaos test: the test binary run again as a child
// process (TestMain sees chaosChildEnv), so that the chaos driver can kill,
// stop and restart it like a Perl node. It does exactly what
// testdata/chaos_node.pl does; see there for the events it prints.

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// chaosChildEnv, when set in the environment, makes the test binary a
// chaos node instead of running tests; the node's settings come in
// CHAOS_NODEID, CHAOS_ADDR, CHAOS_SEEDS (comma-separated), CHAOS_FAMILY
// and CHAOS_INTERVAL.
const chaosChildEnv = "AEMP_INTEROP_CHAOS_NODE"

func TestMain(m *testing.M) {
	if os.Getenv(chaosChildEnv) != "" {
		if err := chaosChildMain(); err != nil {
			fmt.Fprintln(os.Stderr, "chaos node:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// chaosChild is the state of a Go chaos node. Everything but out is only
// touched on the node's dispatch goroutine (port handlers, monitor and
// db_mon callbacks, AfterFunc), as a Perl node's state is only touched by
// its event loop: a tick can never send on a stream whose monitor fired.
type chaosChild struct {
	n        *node.Node
	family   string
	interval time.Duration
	inbox    string
	view     map[string]bool
	streams  map[string]*chaosStream // by inbox
	retry    map[string]bool         // inboxes with a stream restart pending
	watch    map[string]*node.Guard  // receiver monitors, by sender port
	out      *chaosOut
}

type chaosStream struct {
	s   *node.Port
	q   int64
	mon *node.Guard
}

// chaosOut writes one JSON object a line to stdout, each line flushed.
type chaosOut struct {
	mu sync.Mutex
	w  *bufio.Writer
}

func (o *chaosOut) emit(kv ...any) {
	m := make(map[string]any, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i].(string)] = kv[i+1]
	}
	b, err := json.Marshal(m)
	if err != nil {
		b, _ = json.Marshal(map[string]any{"ev": "error", "error": err.Error()})
	}
	o.mu.Lock()
	o.w.Write(append(b, '\n'))
	o.w.Flush()
	o.mu.Unlock()
}

func chaosChildMain() error {
	interval, err := time.ParseDuration(os.Getenv("CHAOS_INTERVAL"))
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	n, err := node.New(node.Config{
		NodeID: os.Getenv("CHAOS_NODEID"),
		Secret: meshSecret,
		Binds:  []string{os.Getenv("CHAOS_ADDR")},
		Seeds:  strings.Split(os.Getenv("CHAOS_SEEDS"), ","),
		Logger: logger,
	})
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		return err
	}
	c := &chaosChild{n: n, family: os.Getenv("CHAOS_FAMILY"), interval: interval,
		view: map[string]bool{}, streams: map[string]*chaosStream{}, retry: map[string]bool{},
		watch: map[string]*node.Guard{}, out: &chaosOut{w: bufio.NewWriter(os.Stdout)}}
	n.AfterFunc(0, c.setup)
	io.Copy(io.Discard, os.Stdin) // the test ended (or died): exit
	return nil
}

func (c *chaosChild) setup() {
	c.inbox = c.n.NewPort(c.recv).ID()
	if _, err := c.n.DBReg(c.family, c.inbox, nil); err != nil {
		c.out.emit("ev", "error", "error", err.Error())
	}
	c.n.DBMon(c.family, c.dbView)
	c.n.AfterFunc(c.interval, c.tick)
	c.out.emit("ev", "ready", "node", c.n.ID(), "inbox", c.inbox)
}

func (c *chaosChild) dbView(db map[string]any, _, _, _ []string) {
	keys := make([]string, 0, len(db))
	for k := range db {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	c.view = make(map[string]bool, len(keys))
	for _, k := range keys {
		c.view[k] = true
	}
	c.out.emit("ev", "view", "keys", keys)
	for _, k := range keys {
		c.startStream(k)
	}
}

func (c *chaosChild) startStream(to string) {
	if to == c.inbox || c.streams[to] != nil || c.retry[to] {
		return
	}
	st := &chaosStream{s: c.n.NewPort(nil)}
	c.streams[to] = st
	c.out.emit("ev", "stream", "to", to, "s", st.s.ID())
	mon, err := c.n.MonFunc(to, func(reason []any) {
		if c.streams[to] == st {
			delete(c.streams, to)
		}
		c.out.emit("ev", "smon", "to", to, "s", st.s.ID(), "reason", reason)
		st.s.Kil()
		c.retry[to] = true
		c.n.AfterFunc(time.Second, func() {
			delete(c.retry, to)
			if c.view[to] {
				c.startStream(to)
			}
		})
	})
	if err != nil {
		c.out.emit("ev", "error", "error", fmt.Sprintf("monitoring inbox %q from the db_mon view: %v", to, err))
		return
	}
	st.mon = mon
}

func (c *chaosChild) tick() {
	for _, to := range sortedStreamKeys(c.streams) {
		st := c.streams[to]
		st.q++
		c.n.Snd(to, "m", st.s.ID(), st.q)
	}
	c.n.AfterFunc(c.interval, c.tick)
}

func sortedStreamKeys(m map[string]*chaosStream) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (c *chaosChild) recv(self *node.Port, args []any) {
	if len(args) != 3 || args[0] != "m" {
		return
	}
	s, _ := args[1].(string)
	if !strings.Contains(s, "#") {
		c.out.emit("ev", "error", "error", fmt.Sprintf("inbox got a message from node %s whose sender port is not a port ID: %#v", self.SrcNode(), args))
		return
	}
	if c.watch[s] == nil {
		c.out.emit("ev", "rwatch", "s", s)
		g, err := c.n.MonFunc(s, func(reason []any) {
			delete(c.watch, s)
			c.out.emit("ev", "rmon", "s", s, "reason", reason)
		})
		if err != nil {
			c.out.emit("ev", "error", "error", fmt.Sprintf("monitoring sender port %q: %v", s, err))
		} else {
			c.watch[s] = g
		}
	}
	c.out.emit("ev", "rcv", "s", s, "q", args[2])
}
