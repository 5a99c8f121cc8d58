package node

import (
	"bytes"
	"log/slog"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// emfileListener fails every Accept with EMFILE while failing is set.
type emfileListener struct {
	net.Listener
	failing atomic.Bool
	calls   atomic.Int64
}

func (l *emfileListener) Accept() (net.Conn, error) {
	l.calls.Add(1)
	if l.failing.Load() {
		return nil, &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", syscall.EMFILE)}
	}
	return l.Listener.Accept()
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (w *lockedBuffer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

func (w *lockedBuffer) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

// Out of file descriptors, the accept loop backs off (5 ms doubling to
// 1 s) instead of spinning, logs once for the burst, and accepts again
// when descriptors are back.
func TestAcceptBacksOffWhenOutOfDescriptors(t *testing.T) {
	onTCP(t)
	var logs lockedBuffer
	n := testNode(t, Config{NodeID: "n", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	el := &emfileListener{Listener: ln}
	el.failing.Store(true)
	n.mu.Lock()
	n.listeners = append(n.listeners, el)
	n.mu.Unlock()
	n.wg.Add(1)
	go n.serve(el, ln.Addr().String())

	time.Sleep(600 * time.Millisecond)
	// 5+10+20+...+320 ms: 7 attempts fit into 600 ms; a spinning loop
	// makes millions
	if c := el.calls.Load(); c > 10 {
		t.Fatalf("%d accept attempts in 600 ms: not backing off", c)
	}
	if c := strings.Count(logs.String(), "accept failed"); c != 1 {
		t.Fatalf("%d log lines for one burst of accept failures, want 1:\n%s", c, logs.String())
	}
	el.failing.Store(false)
	other := newTestNode(t, "other", false)
	other.AddAddress("n", ln.Addr().String())
	eventually(t, "connection accepted after the burst", func() bool {
		_, err := other.Connect(t.Context(), ln.Addr().String())
		return err == nil
	})
	if !strings.Contains(logs.String(), "accepting again") {
		t.Fatalf("no line when accepting works again:\n%s", logs.String())
	}
}
