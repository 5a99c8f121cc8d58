package node

import (
	"io"
	"log/slog"
	"time"

	"github.com/aemp-go/aemp-go/protocol"
)

// Config configures a Node. The zero value of every field has the meaning
// Perl's built-in defaults give it; compat.Config converts a profile of
// the Perl rc file into one.
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
	Framings   []string // default protocol.Framings (cbor, json)

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

	MonitorTimeout  time.Duration // default 30s: handshake timeout, retry cap
	ConnectInterval time.Duration // default 2s: give up connecting after this

	// Secure refuses remote code execution: eval and calls to functions
	// that were not registered (Perl's `secure` option). aemp-go can never
	// run Perl code, so eval is refused whatever this says.
	Secure bool

	Logger *slog.Logger // default slog.Default()
	// Trace, when set, receives Perl-style "SND node <- [...]" and
	// "RCV node -> [...]" lines (PERL_ANYEVENT_MP_TRACE=1).
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
	if c.MonitorTimeout <= 0 {
		c.MonitorTimeout = 30 * time.Second
	}
	if c.ConnectInterval <= 0 {
		c.ConnectInterval = 2 * time.Second
	}
	if len(c.Framings) == 0 {
		c.Framings = protocol.Framings
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}
