package node

import (
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Config configures a Node. The zero value of every field has the meaning
// Perl's built-in defaults give it; compat.NodeConfig turns a resolved
// profile of the Perl rc file (compat.Resolve) into one.
type Config struct {
	// NodeID is this node's ID, already expanded (see compat for the %n,
	// %u and trailing "/" templates). Required.
	NodeID string
	// Randomised tells that NodeID contains a random part (it came from a
	// %u or trailing "/" template). Perl then names local ports without
	// the per-process prefix ($UNIQ = ""): "b", "c", ...
	Randomised bool

	Secret     string
	TLS        *protocol.TLSCredentials
	AuthOffer  []string
	AuthAccept []string
	Framings   []string // default protocol.DefaultFramings() (cbor, json)

	// Binds are the listen addresses ("127.0.0.1:4040", "*:4040",
	// "127.0.0.1:0"). Perl's default is ["*"]; a Node with no binds
	// listens nowhere, which Perl 2.x no longer supports but which suits
	// tests and command-line clients that only connect out.
	Binds []string
	// Seeds are the seed node addresses (host:port) to keep connected to.
	// A node that finds its own address among them becomes a global node.
	// An entry "srv:NAME" stands for the targets of that DNS SRV record,
	// looked up again at every retry (see SRV).
	Seeds []string
	// SeedSource, when set, is asked for further seed addresses every time
	// the node retries its seeds (e.g. DNS SRV records, re-resolved).
	SeedSource func() []string
	// Transport dials and listens (see Transport); default TCPTransport.
	// Tests run meshes in memory: nodes given one NewMemTransport.
	Transport Transport

	MonitorTimeout  time.Duration // default 30s: handshake timeout, retry cap
	ConnectInterval time.Duration // default 2s: give up connecting after this

	// Secure refuses remote code execution: eval and calls to functions
	// that were not registered (Perl's `secure` option). aemp-go can never
	// run Perl code, so eval is refused whatever this says.
	Secure bool

	// Limits (see "Limits and guarantees" in the README). Past each one
	// the connection concerned ends as a transport error naming the
	// limit, so monitors fire and nothing is dropped silently. Zero means
	// the default; there is no "unlimited".

	// MaxSendQueue bounds the bytes waiting to be written to one peer,
	// and (estimated) the messages queued while a connection to it is
	// being made. Default 64 MiB.
	MaxSendQueue int
	// WriteStallTimeout: a write to a peer that makes no progress for
	// this long ends the connection. Default 30s.
	WriteStallTimeout time.Duration
	// MaxRecvQueue bounds the bytes (estimated decoded size) a connection
	// has handed to the dispatch loop and that were not yet dispatched;
	// past it the reader stops reading until the loop catches up, so TCP
	// pushes back on the peer. Default 4 MiB.
	MaxRecvQueue int
	// MaxRecvQueueLen bounds the same in messages, which bounds how long
	// one flooding peer can make the others wait. Default 256.
	MaxRecvQueueLen int
	// MaxMessageSize bounds one incoming message on the wire. Default
	// 16 MiB.
	MaxMessageSize int
	// HeartbeatInterval: a connection that received nothing for this long
	// is probed with a node-port "time" request, which every AEMP node
	// answers. Default 10s.
	HeartbeatInterval time.Duration
	// HeartbeatTimeout: when nothing at all arrives this long after the
	// probe, the peer counts as hung and the connection ends. Default 15s.
	HeartbeatTimeout time.Duration
	// MaxDepartedPeers bounds how many nodes whose records were pruned
	// keep their final counters in Stats (so node-wide counters never go
	// backwards and a node that just left stays visible). Past it the
	// oldest is folded into the node-wide totals. Default 1024.
	MaxDepartedPeers int

	Logger *slog.Logger // default slog.Default()
	// Trace, when set, receives Perl-style "SND node <- [...]" and
	// "RCV node -> [...]" lines (PERL_ANYEVENT_MP_TRACE=1). Senders and
	// connection readers trace from their own goroutines; the node
	// serialises the writes (one Write per line, never two at once), so
	// the writer needs no locking. Each Write runs on the sending or
	// receiving goroutine, so a slow writer slows messaging: give it a
	// buffer or a file, not something that waits on the network.
	Trace io.Writer

	// Added for issue 11 (operating a mixed mesh):

	// Global makes the node a global node from the start, as Perl's
	// AnyEvent::MP::Global:: service does (compat maps a profile's
	// "services" entry to it). Seeds become global on their own anyway.
	Global bool
	// LogCatcherQueue bounds the log records waiting to be sent to log
	// catchers (AnyEvent::MP::LogCatcher); default 1000. Past it records
	// are dropped and counted, and the catchers are told how many.
	LogCatcherQueue int
	// SRV resolves the "srv:NAME" entries of Seeds (DNS SRV seeds, an
	// aemp-go extension); nil asks the servers of /etc/resolv.conf.
	SRV *SRVResolver
}

func (c *Config) setDefaults() {
	orDefault(&c.MonitorTimeout, protocol.DefaultMonitorTimeout)
	orDefault(&c.ConnectInterval, protocol.DefaultConnectInterval)
	orDefault(&c.MaxSendQueue, DefaultMaxSendQueue)
	orDefault(&c.WriteStallTimeout, DefaultWriteStallTimeout)
	orDefault(&c.MaxRecvQueue, DefaultMaxRecvQueue)
	orDefault(&c.MaxRecvQueueLen, DefaultMaxRecvQueueLen)
	orDefault(&c.MaxMessageSize, DefaultMaxMessageSize)
	orDefault(&c.HeartbeatInterval, DefaultHeartbeatInterval)
	orDefault(&c.HeartbeatTimeout, DefaultHeartbeatTimeout)
	orDefault(&c.MaxDepartedPeers, DefaultMaxDepartedPeers)
	orDefault(&c.LogCatcherQueue, DefaultLogCatcherQueue)
	if c.Transport == nil {
		c.Transport = TCPTransport{}
	}
	if len(c.Framings) == 0 {
		c.Framings = protocol.DefaultFramings()
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// orDefault sets *v to def when *v is zero or negative: a limit left unset
// (or set to a value that cannot work) takes its default.
func orDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Defaults of the limits in Config.
const (
	DefaultMaxSendQueue      = 64 << 20
	DefaultWriteStallTimeout = 30 * time.Second
	DefaultMaxRecvQueue      = 4 << 20
	DefaultMaxRecvQueueLen   = 256
	DefaultMaxMessageSize    = 16 << 20
	DefaultHeartbeatInterval = 10 * time.Second
	DefaultHeartbeatTimeout  = 15 * time.Second
	DefaultMaxDepartedPeers  = 1024
	DefaultLogCatcherQueue   = 1000
)

// byteSize formats a limit as the README and the error texts name it:
// "64 MiB", "512 KiB", "100 bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}
