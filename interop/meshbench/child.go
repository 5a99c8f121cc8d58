package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// The Go side of every path runs in a child process: the meshbench binary
// re-executed as `meshbench child <role> [flags]`. Children speak the line
// protocol of the Perl scripts (interop/testdata/meshbench_*.pl), so the
// orchestrator drives a Go and a Perl process the same way:
//
//	receiver prints  ready <port> | warm | done <N> <seconds> <cpu seconds> <voluntary cs> <nonvoluntary cs>
//	sender reads     warm | send N | rtt N
//	sender prints    ready | sent N <queued bytes> <seconds> <cpu seconds> | rtt N <mean> <p50> <p99> <max> (microseconds)

// Names shared by every path, so that every path carries the same bytes.
const (
	secret    = "meshbench-secret"
	recvNode  = "recv"
	sendNode  = "send"
	benchPort = recvNode + "#bench"
	pongPort  = sendNode + "#pong"
	payload   = "payload-string-0123456789"
	rawPingID = 1000 // the counter a raw ping carries (AEMP pings count down)
)

// testMessage is the one-way message, to port benchPort.
func testMessage() protocol.Message {
	return protocol.Message{Port: benchPort, Data: []any{"test", int64(123), payload}}
}

// pingMessage and pongMessage are the round-trip messages.
func pingMessage(i int64) protocol.Message {
	return protocol.Message{Port: benchPort, Data: []any{"ping", i, pongPort}}
}

func pongMessage(i int64) protocol.Message {
	return protocol.Message{Port: pongPort, Data: []any{"pong", i}}
}

// pingPong returns the ping and pong frames of the raw round trip.
func pingPong(framing string) (ping, pong []byte, err error) {
	if ping, err = frame(framing, pingMessage(rawPingID)); err != nil {
		return nil, nil, err
	}
	pong, err = frame(framing, pongMessage(rawPingID))
	return ping, pong, err
}

// acceptOne listens at addr, prints "ready <addr>" and accepts one
// connection.
func acceptOne(addr string) (net.Conn, error) {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer l.Close()
	printLine("ready %s", l.Addr())
	return l.Accept()
}

// frame encodes m in framing.
func frame(framing string, m protocol.Message) ([]byte, error) {
	enc, err := protocol.Appender(framing)
	if err != nil {
		return nil, err
	}
	return enc(nil, m)
}

// runChild runs one child role and returns the exit code.
func runChild(args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(os.Stderr, "meshbench child: role missing")
		return 2
	}
	role, args := args[0], args[1:]
	fs := flag.NewFlagSet("child "+role, flag.ContinueOnError)
	addr := fs.String("addr", "", "listen address")
	seed := fs.String("seed", "", "address of the receiver (senders)")
	framing := fs.String("framing", protocol.FramingJSON, "framing")
	n := fs.Int("n", 0, "messages to count (receivers; 0: none)")
	window := fs.Int("window", 0, "senders: at most two windows of this many messages unacknowledged (0: no limit)")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the receive window (receivers) or of the send loop (senders) here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var err error
	switch role {
	case "recv":
		err = goReceiver(*addr, *framing, *n, *cpuprofile)
	case "send":
		err = goSender(*addr, *seed, *framing, *window, *cpuprofile)
	case "rawrecv":
		err = rawReceiver(*addr, *framing, *n)
	case "rawsend":
		err = rawSender(*seed, *framing)
	case "rawpong":
		err = rawPonger(*addr, *framing)
	case "rawping":
		err = rawPinger(*seed, *framing)
	default:
		err = fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "meshbench child %s: %v\n", role, err)
		return 1
	}
	return 0
}

// out writes whole lines to stdout from any goroutine.
var out struct {
	mu sync.Mutex
}

func printLine(format string, a ...any) {
	out.mu.Lock()
	defer out.mu.Unlock()
	fmt.Fprintf(os.Stdout, format+"\n", a...)
}

// usage is what a receiver samples at the first and the last message.
type usage struct {
	wall  time.Time
	cpu   time.Duration // user + system, all threads
	vol   int64         // voluntary context switches
	invol int64         // nonvoluntary (forced) context switches
}

func sampleUsage() usage {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return usage{
		wall:  time.Now(),
		cpu:   time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		vol:   ru.Nvcsw,
		invol: ru.Nivcsw,
	}
}

// printDone prints the receive window between first and last.
func printDone(n int, first, last usage) {
	printLine("done %d %.9f %.9f %d %d", n, last.wall.Sub(first.wall).Seconds(), (last.cpu - first.cpu).Seconds(),
		last.vol-first.vol, last.invol-first.invol)
}

// recvWindow counts messages and samples usage at the first and the want-th.
type recvWindow struct {
	want, count int
	first       usage
	profile     string
	profFile    *os.File
}

// add counts k messages and prints the window once it is complete.
func (w *recvWindow) add(k int) {
	if w.want <= 0 || w.count >= w.want {
		return
	}
	if w.count == 0 {
		w.startProfile()
		w.first = sampleUsage()
	}
	w.count += k
	if w.count >= w.want {
		last := sampleUsage()
		w.stopProfile()
		printDone(w.count, w.first, last)
	}
}

func (w *recvWindow) startProfile() {
	if w.profile == "" {
		return
	}
	f, err := os.Create(w.profile)
	if err == nil {
		err = pprof.StartCPUProfile(f)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "meshbench: cpu profile: %v\n", err)
		return
	}
	w.profFile = f
}

func (w *recvWindow) stopProfile() {
	if w.profFile != nil {
		pprof.StopCPUProfile()
		w.profFile.Close()
	}
}

func quietNode(cfg node.Config) (*node.Node, error) {
	cfg.Secret = secret
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	n, err := node.New(cfg)
	if err != nil {
		return nil, err
	}
	if err := n.Start(); err != nil {
		n.Close()
		return nil, err
	}
	return n, nil
}

// goReceiver is a Go node "recv", a global node (its own seed) at addr,
// with the port benchPort.
func goReceiver(addr, framing string, want int, profile string) error {
	n, err := quietNode(node.Config{NodeID: recvNode, Binds: []string{addr}, Seeds: []string{addr}, Framings: []string{framing}})
	if err != nil {
		return err
	}
	defer n.Close()
	w := &recvWindow{want: want, profile: profile}
	p, err := n.Port(benchPort)
	if err != nil {
		return err
	}
	p.Rcv("test", func(*node.Port, []any) { w.add(1) })
	p.Rcv("warm", func(*node.Port, []any) { printLine("warm") })
	p.Rcv("ping", func(_ *node.Port, a []any) {
		if len(a) == 2 {
			if reply, ok := a[1].(string); ok {
				n.Snd(reply, "pong", a[0])
			}
		}
	})
	printLine("ready %s", benchPort)
	io.Copy(io.Discard, os.Stdin) // until the orchestrator ends us
	return nil
}

// goSender is a Go node "send" at addr that connects to the receiver at
// seed and follows the sender commands on stdin.
func goSender(addr, seed, framing string, window int, profile string) error {
	n, err := quietNode(node.Config{NodeID: sendNode, Binds: []string{addr}, Seeds: []string{seed}, Framings: []string{framing}})
	if err != nil {
		return err
	}
	defer n.Close()
	n.AddAddress(recvNode, seed)

	// The pong port serves the send window and the round trips; both run
	// on the node's handler goroutine, the commands on this one.
	var rtt struct {
		left int
		t0   time.Time
		lat  []time.Duration
		done chan struct{}
	}
	acks := make(chan int64, 64)
	pp, err := n.Port(pongPort)
	if err != nil {
		return err
	}
	pp.Rcv("pong", func(_ *node.Port, a []any) {
		if rtt.left == 0 { // a window acknowledgement
			if len(a) > 0 {
				if k, ok := a[0].(int64); ok {
					acks <- k
				}
			}
			return
		}
		rtt.lat = append(rtt.lat, time.Since(rtt.t0))
		if rtt.left--; rtt.left == 0 {
			close(rtt.done)
			return
		}
		rtt.t0 = time.Now()
		n.Snd(benchPort, "ping", int64(rtt.left), pongPort)
	})

	printLine("ready")
	return commands(func(cmd string, arg int) error {
		switch cmd {
		case "warm":
			return n.Snd(benchPort, "warm")
		case "send":
			acked := int64(0)
			prof := &recvWindow{profile: profile}
			prof.startProfile()
			start := sampleUsage()
			for i := 1; i <= arg; i++ {
				if err := n.Snd(benchPort, "test", int64(123), payload); err != nil {
					return err
				}
				if window > 0 && i%window == 0 {
					k := int64(i / window)
					if err := n.Snd(benchPort, "ping", k, pongPort); err != nil {
						return err
					}
					for acked < k-1 {
						select {
						case acked = <-acks:
						case <-time.After(time.Minute):
							return errors.New("no window acknowledgement for a minute")
						}
					}
				}
			}
			end := sampleUsage()
			prof.stopProfile()
			printLine("sent %d -1 %.6f %.6f", arg, end.wall.Sub(start.wall).Seconds(), (end.cpu - start.cpu).Seconds())
		case "rtt":
			if arg <= 0 {
				return nil
			}
			done := make(chan struct{})
			// set up before the first ping; the handler owns it until done
			rtt.left, rtt.lat, rtt.done = arg, make([]time.Duration, 0, arg), done
			rtt.t0 = time.Now()
			if err := n.Snd(benchPort, "ping", int64(arg), pongPort); err != nil {
				return err
			}
			<-done
			printRTT(rtt.lat)
		}
		return nil
	})
}

// commands runs f for each "cmd N" line on stdin until it ends.
func commands(f func(cmd string, arg int) error) error {
	sc := bufio.NewScanner(os.Stdin)
	for sc.Scan() {
		cmd, arg, _ := strings.Cut(sc.Text(), " ")
		n, _ := strconv.Atoi(arg)
		if err := f(cmd, n); err != nil {
			return err
		}
	}
	return nil
}

// printRTT prints mean, p50, p99 and max in microseconds, the percentiles
// picked as the Perl sender picks them.
func printRTT(lat []time.Duration) {
	s := slices.Clone(lat)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	us := func(d time.Duration) float64 { return float64(d) / 1e3 }
	last := len(s) - 1
	printLine("rtt %d %.3f %.3f %.3f %.3f", len(s), us(sum)/float64(len(s)), us(s[last/2]), us(s[last*99/100]), us(s[last]))
}

// rawReceiver accepts one TCP connection and only counts bytes: the
// receive window runs from the first read to the read that completes
// want frames of the test message.
func rawReceiver(addr, framing string, want int) error {
	f, err := frame(framing, testMessage())
	if err != nil {
		return err
	}
	c, err := acceptOne(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 64<<10)
	wantBytes := int64(want) * int64(len(f))
	var total, firstBytes int64
	var first usage
	for total < wantBytes {
		k, err := c.Read(buf)
		if k > 0 && total == 0 {
			first, firstBytes = sampleUsage(), int64(k)
		}
		total += int64(k)
		if err != nil {
			return fmt.Errorf("after %d of %d bytes: %w", total, wantBytes, err)
		}
	}
	last := sampleUsage()
	// as for messages: the count includes the first read's frames, the
	// rate is taken over the frames after them
	frames := 1 + int((total-firstBytes)/int64(len(f)))
	printDone(frames, first, last)
	io.Copy(io.Discard, os.Stdin)
	return nil
}

// rawSender streams the test message's frames in 64 KiB writes.
func rawSender(addr, framing string) error {
	f, err := frame(framing, testMessage())
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	per := (64 << 10) / len(f)
	buf := make([]byte, 0, per*len(f))
	for range per {
		buf = append(buf, f...)
	}
	printLine("ready")
	return commands(func(cmd string, arg int) error {
		if cmd != "send" {
			return nil
		}
		for left := arg; left > 0; left -= per {
			k := min(left, per)
			if _, err := c.Write(buf[:k*len(f)]); err != nil {
				return err
			}
		}
		printLine("sent %d", arg)
		return nil
	})
}

// rawPonger answers each ping frame (read in full) with a pong frame, the
// bytes a receiver node reads and writes in a round trip.
func rawPonger(addr, framing string) error {
	ping, pong, err := pingPong(framing)
	if err != nil {
		return err
	}
	c, err := acceptOne(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, len(ping))
	for {
		if _, err := io.ReadFull(c, buf); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if _, err := c.Write(pong); err != nil {
			return err
		}
	}
}

// rawPinger writes a ping frame and reads the pong frame, one at a time.
func rawPinger(addr, framing string) error {
	ping, pong, err := pingPong(framing)
	if err != nil {
		return err
	}
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, len(pong))
	printLine("ready")
	return commands(func(cmd string, arg int) error {
		if cmd != "rtt" || arg <= 0 {
			return nil
		}
		lat := make([]time.Duration, 0, arg)
		for range arg {
			t0 := time.Now()
			if _, err := c.Write(ping); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
			lat = append(lat, time.Since(t0))
		}
		printRTT(lat)
		return nil
	})
}
