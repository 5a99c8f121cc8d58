package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// syncBuffer is a bytes.Buffer safe for a writer goroutine and a reader.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// result is one in-process run of aemp-go.
type result struct {
	code           int
	stdout, stderr string
}

// aemp runs aemp-go in-process, bounded to 30 s.
func aemp(t *testing.T, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out, errb syncBuffer
	code := runContext(ctx, args, &out, &errb)
	return result{code, out.String(), errb.String()}
}

// mustAemp runs aemp-go and fails the test unless it exits 0.
func mustAemp(t *testing.T, args ...string) result {
	t.Helper()
	r := aemp(t, args...)
	if r.code != 0 {
		t.Fatalf("aemp-go %q: exit %d, stderr %q", args, r.code, r.stderr)
	}
	return r
}

// tempRC points PERL_ANYEVENT_MP_RC at a file in a new temporary
// directory (which does not exist yet, unless content is given) and
// returns its path.
func tempRC(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "rc")
	if content != "" {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("PERL_ANYEVENT_MP_RC", path)
	for _, v := range []string{"PERL_ANYEVENT_MP_TRACE", "AE_MP_TRACE", "PERL_ANYEVENT_VERBOSE", "AE_VERBOSE"} {
		t.Setenv(v, "")
		os.Unsetenv(v)
	}
	return path
}

// readRC returns the rc file as decoded JSON.
func readRC(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("rc file is not JSON: %v\n%s", err, b)
	}
	return m
}

// wantJSON compares the rc file with the expected JSON document.
func wantJSON(t *testing.T, path, want string) {
	t.Helper()
	var w map[string]any
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	got := readRC(t, path)
	gb, _ := json.Marshal(got)
	wb, _ := json.Marshal(w)
	if string(gb) != string(wb) {
		t.Errorf("rc file\n got %s\nwant %s", gb, wb)
	}
}

// freeAddr returns a loopback address with a port that was free a
// moment ago, for nodes that must know their address before binding
// (a seed finds itself among its seeds).
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

const testSecret = "test-secret"

// startNode runs an in-process Go node listening on loopback.
func startNode(t *testing.T, cfg node.Config) *node.Node {
	t.Helper()
	if cfg.Secret == "" && cfg.TLS == nil {
		cfg.Secret = testSecret
	}
	if cfg.Binds == nil {
		cfg.Binds = []string{"127.0.0.1:0"}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	return n
}

// rcFor writes an rc file whose seed is addr and whose secret is secret.
func rcFor(t *testing.T, addr, secret string) string {
	t.Helper()
	return tempRC(t, `{"version":1,"secret":"`+secret+`","seeds":["`+addr+`"]}`)
}

func contains(t *testing.T, what, s, sub string) {
	t.Helper()
	if !strings.Contains(s, sub) {
		t.Errorf("%s %q does not contain %q", what, s, sub)
	}
}
