package interop

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aemp-go/aemp-go/node"
)

// TestAempCLIAgainstGoSeed: Perl's own `aemp` command, configured with a
// Go node as its only seed, talks to that Go node: the Go node serves as
// the global node the CLI node binds to, and answers cal, can, snd, mon.
func TestAempCLIAgainstGoSeed(t *testing.T) {
	RequireAemp(t)
	t.Parallel()
	n, _ := goNode(t, node.Config{NodeID: "go_cli_seed", Binds: []string{"127.0.0.1:0"}})
	h := PrepareHome(t, &Spec{Profile: "aemp", NodeID: "aemp_cli", Secret: testSecret, Seeds: n.Binds()})
	aemp := func(args ...string) string {
		t.Helper()
		out, err := h.Aemp(timeout(t, 20*time.Second), t, args...)
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(out)
	}

	out := aemp("cal", "go_cli_seed", "time")
	tm, err := strconv.ParseFloat(out, 64)
	if now := float64(time.Now().Unix()); err != nil || tm < now-60 || tm > now+60 {
		t.Errorf("aemp cal go_cli_seed time printed %q", out)
	}
	if out := aemp("cal", "go_cli_seed", "can", "time"); out != `"1"` {
		t.Errorf(`aemp cal can time printed %q, want "1"`, out)
	}
	if out := aemp("cal", "go_cli_seed", "can", "nosuchreq"); out != `""` {
		t.Errorf(`aemp cal can nosuchreq printed %q, want ""`, out)
	}

	p, ch := goPort(n)
	if out := aemp("cal", p.ID(), "echo", "a", `[1,{"b":2}]`); out != `"echo","a",[1,{"b":2}]` {
		t.Errorf("aemp cal echo printed %q", out)
	}
	if got := recv(t, ch, "cal message"); len(got) != 4 || !reflect.DeepEqual(got[:3], []any{"echo", "a", []any{int64(1), map[string]any{"b": int64(2)}}}) {
		t.Errorf("Go port got %#v", got)
	}
	aemp("snd", p.ID(), "hello", "1")
	if got := recv(t, ch, "snd message"); !reflect.DeepEqual(got, []any{"hello", "1"}) {
		t.Errorf("Go port got %#v from aemp snd, want [hello \"1\"] (aemp arguments are strings)", got)
	}
}
