package compat

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// recordLog keeps log records for assertions.
type recordLog struct {
	mu    sync.Mutex
	lines []string
}

func (r *recordLog) Enabled(context.Context, slog.Level) bool { return true }
func (r *recordLog) Handle(_ context.Context, rec slog.Record) error {
	var b strings.Builder
	b.WriteString(rec.Level.String() + " " + rec.Message)
	rec.Attrs(func(a slog.Attr) bool { b.WriteString(" " + a.String()); return true })
	r.mu.Lock()
	r.lines = append(r.lines, b.String())
	r.mu.Unlock()
	return nil
}
func (r *recordLog) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recordLog) WithGroup(string) slog.Handler      { return r }

func configureArgs(services ...any) map[string]any {
	return map[string]any{"nodeid": "cfgtest", "binds": []any{"127.0.0.1:0"}, "seeds": []any{}, "secret": "s", "services": services}
}

// TestConfigureRunsServices: the Global service makes the node global, a
// registered Go service runs with the array form's arguments, and eval
// is reported, not silently dropped.
func TestConfigureRunsServices(t *testing.T) {
	var got []any
	args := configureArgs(GlobalService, []any{"My::Svc::start", json.Number("1"), "a"})
	args["eval"] = "print 42"
	rec := &recordLog{}
	n, err := ConfigureWith("", args, Setup{Resolve: ResolveOptions{NoRC: true}, Logger: slog.New(rec),
		Services: map[string]ServiceFunc{"My::Svc::start": func(_ *node.Node, a []any) error { got = a; return nil }}})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	if !reflect.DeepEqual(got, []any{int64(1), "a"}) {
		t.Fatalf("service args %#v", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, err := node.New(node.Config{NodeID: "client", Secret: "s"})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.AddAddress("cfgtest", n.Binds()...)
	if r, err := c.Cal(ctx, "cfgtest#", "can", "g_find"); err != nil || !reflect.DeepEqual(r, []any{"1"}) {
		t.Fatalf("can g_find: %#v %v", r, err)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	found := false
	for _, l := range rec.lines {
		found = found || strings.Contains(l, "cannot run") && strings.Contains(l, "print 42")
	}
	if !found {
		t.Fatalf("no warning about eval in %q", rec.lines)
	}
}

// TestConfigureRefusesPerlServices names every entry that cannot run.
func TestConfigureRefusesPerlServices(t *testing.T) {
	_, err := ConfigureWith("", configureArgs("My::Perl::Module::", "My::func", GlobalService), Setup{Resolve: ResolveOptions{NoRC: true}})
	if !errors.Is(err, ErrServiceUnavailable) {
		t.Fatalf("err %v", err)
	}
	for _, want := range []string{`"My::Perl::Module::" is a Perl module`, `"My::func": no Go function`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), `"`+GlobalService+`"`+" is") {
		t.Errorf("the Global service was refused: %v", err)
	}
}

func TestNodeConfigGlobalOnlyForTheModuleForm(t *testing.T) {
	for _, tc := range []struct {
		services []Service
		want     bool
	}{
		{[]Service{{Name: GlobalService}}, true},
		{[]Service{{Name: GlobalService, List: true}}, false},
		{[]Service{{Name: "AnyEvent::MP::Global"}}, false},
		{nil, false},
	} {
		if got := hasGlobalService(tc.services); got != tc.want {
			t.Errorf("%v: %v", tc.services, got)
		}
	}
}
