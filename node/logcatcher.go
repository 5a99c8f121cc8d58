package node

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// The log catcher service (LogCatcher.pm): a node that wants the logs of
// another calls the function AnyEvent::MP::LogCatcher::connect there with
// (version, reply port, level), and from then on receives every log
// record of that level or a more severe one as
//
//	[time, context title, level, message]
//
// on the reply port, until the port dies. Levels are AnyEvent::Log's
// (1 fatal .. 9 trace, lower is more severe). No record is buffered
// across connection loss or retransmitted, as in Perl.
//
// A Go node serves the same function from its slog logger: the node's
// handler is wrapped so that every record also goes to the connected
// catchers. Logging happens on any goroutine, often with locks held, so
// the handler only puts the record into a bounded queue
// (Config.LogCatcherQueue); one goroutine, started by the first catcher,
// sends from there. When the queue is full, records are dropped and
// counted, and the next record that fits is preceded by one saying how
// many were lost.

// LogCatcherFunc is the function a catcher calls on the node it collects
// from.
const LogCatcherFunc = "AnyEvent::MP::LogCatcher::connect"

// LogTitle is the AnyEvent::Log context title of a Go node's records, in
// the place where Perl nodes send their package name.
const LogTitle = "AempGo::Node"

// AnyEvent::Log levels.
const (
	AELevelFatal = 1
	AELevelError = 4
	AELevelWarn  = 5
	AELevelInfo  = 7
	AELevelDebug = 8
	AELevelTrace = 9
)

// AELevel maps a slog level to AnyEvent::Log's: error and above 4
// (error), warn 5, info 7, debug 8, anything below debug 9 (trace). It
// is the inverse of how aemp-go reads PERL_ANYEVENT_VERBOSE.
func AELevel(l slog.Level) int {
	switch {
	case l >= slog.LevelError:
		return AELevelError
	case l >= slog.LevelWarn:
		return AELevelWarn
	case l >= slog.LevelInfo:
		return AELevelInfo
	case l >= slog.LevelDebug:
		return AELevelDebug
	}
	return AELevelTrace
}

// LogRecord is one record as it travels to a catcher.
type LogRecord struct {
	Time    float64 // Unix seconds
	Title   string  // AnyEvent::Log context, e.g. "AnyEvent::MP::Kernel"
	Level   int     // 1 fatal .. 9 trace
	Message string
}

// logCatchers is the state of the service on one node. mu is a leaf
// lock: nothing is called while it is held.
type logCatchers struct {
	n     *Node
	queue chan LogRecord
	start sync.Once

	maxLevel atomic.Int32 // most verbose level any catcher wants, 0 for none
	dropped  atomic.Int64 // records lost to a full queue, not yet reported

	mu       sync.Mutex
	catchers map[string]int // reply port -> level
}

// catchLogs wraps the node's logger so that records also go to catchers,
// and registers the connect function (deny-by-default still applies:
// secure mode refuses it, as it refuses every function call in Perl).
// It runs in New, before anything logs.
func (n *Node) catchLogs(l *slog.Logger) *slog.Logger {
	lc := &logCatchers{n: n, queue: make(chan LogRecord, n.cfg.LogCatcherQueue), catchers: map[string]int{}}
	n.funcs[LogCatcherFunc] = lc.connect
	return slog.New(&catchHandler{inner: l.Handler(), lc: lc})
}

// connect is LogCatcher.pm's connect: args are (version, reply port,
// level).
func (lc *logCatchers) connect(_ *Port, args []any) {
	rport := argString(args, 1)
	if rport == "" {
		return
	}
	// the level as Perl numifies it: undef or junk is 0, which takes
	// no records
	ls, _ := protocol.PerlString(argAt(args, 2))
	lf, err := strconv.ParseFloat(strings.TrimSpace(ls), 64)
	if err != nil || lf != lf { // junk or NaN
		lf = 0
	}
	level := int(min(max(lf, 0), AELevelTrace))
	lc.start.Do(func() {
		lc.n.wg.Add(1)
		go lc.run()
	})
	lc.mu.Lock()
	lc.catchers[rport] = level
	lc.updateLocked()
	lc.mu.Unlock()
	// when the catcher's port dies, stop sending (Perl: mon $rport)
	lc.n.MonFunc(rport, func([]any) {
		lc.mu.Lock()
		delete(lc.catchers, rport)
		lc.updateLocked()
		lc.mu.Unlock()
	})
	lc.n.log.Debug("starting to propagate log messages to " + rport)
}

func (lc *logCatchers) updateLocked() {
	m := 0
	for _, l := range lc.catchers {
		m = max(m, l)
	}
	lc.maxLevel.Store(int32(m))
}

// wants reports whether some catcher takes records of this level.
func (lc *logCatchers) wants(level int) bool { return level <= int(lc.maxLevel.Load()) }

// put queues a record without ever blocking.
func (lc *logCatchers) put(r LogRecord) {
	select {
	case lc.queue <- r:
	default:
		lc.dropped.Add(1)
	}
}

// run sends queued records to the catchers that want them.
func (lc *logCatchers) run() {
	defer lc.n.wg.Done()
	for {
		select {
		case <-lc.n.ctx.Done():
			return
		case r := <-lc.queue:
			if d := lc.dropped.Swap(0); d > 0 {
				lc.send(LogRecord{Time: r.Time, Title: LogTitle, Level: AELevelWarn,
					Message: fmt.Sprintf("%d log records dropped: more than %d waiting for the log catchers (LogCatcherQueue)", d, cap(lc.queue))})
			}
			lc.send(r)
		}
	}
}

func (lc *logCatchers) send(r LogRecord) {
	lc.mu.Lock()
	var to []string
	for p, l := range lc.catchers {
		if r.Level <= l {
			to = append(to, p)
		}
	}
	lc.mu.Unlock()
	for _, p := range to {
		lc.n.Snd(p, r.Time, r.Title, int64(r.Level), r.Message)
	}
}

// catchHandler passes records to the node's handler and, when a catcher
// wants them, to the queue, formatted as one message line: the slog
// message followed by its attributes as key=value.
type catchHandler struct {
	inner  slog.Handler
	lc     *logCatchers
	attrs  string // preformatted attributes of WithAttrs, " k=v..."
	prefix string // group prefix of WithGroup, "g."
}

func (h *catchHandler) Enabled(ctx context.Context, l slog.Level) bool {
	return h.inner.Enabled(ctx, l) || h.lc.wants(AELevel(l))
}

func (h *catchHandler) Handle(ctx context.Context, r slog.Record) error {
	var err error
	if h.inner.Enabled(ctx, r.Level) {
		err = h.inner.Handle(ctx, r)
	}
	if level := AELevel(r.Level); h.lc.wants(level) {
		var b strings.Builder
		b.WriteString(r.Message)
		b.WriteString(h.attrs)
		r.Attrs(func(a slog.Attr) bool {
			appendAttr(&b, h.prefix, a)
			return true
		})
		t := r.Time
		if t.IsZero() {
			t = time.Now()
		}
		h.lc.put(LogRecord{Time: float64(t.UnixMicro()) / 1e6, Title: LogTitle, Level: level, Message: b.String()})
	}
	return err
}

func (h *catchHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	var b strings.Builder
	b.WriteString(h.attrs)
	for _, a := range attrs {
		if h.prefix == "" && a.Key == "node" {
			continue // the catcher names the node itself
		}
		appendAttr(&b, h.prefix, a)
	}
	return &catchHandler{inner: h.inner.WithAttrs(attrs), lc: h.lc, attrs: b.String(), prefix: h.prefix}
}

func (h *catchHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return h
	}
	return &catchHandler{inner: h.inner.WithGroup(name), lc: h.lc, attrs: h.attrs, prefix: h.prefix + name + "."}
}

// appendAttr writes " key=value", quoting values that need it.
func appendAttr(b *strings.Builder, prefix string, a slog.Attr) {
	v := a.Value.Resolve()
	if v.Kind() == slog.KindGroup {
		for _, g := range v.Group() {
			appendAttr(b, prefix+a.Key+".", g)
		}
		return
	}
	if a.Key == "" {
		return
	}
	s := v.String()
	if s == "" || strings.ContainsAny(s, " \t\n\"=") {
		s = strconv.Quote(s)
	}
	b.WriteString(" ")
	b.WriteString(prefix + a.Key)
	b.WriteString("=")
	b.WriteString(s)
}
