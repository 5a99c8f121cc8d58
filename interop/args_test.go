package interop

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"

	"github.com/aemp-go/aemp-go/node"
	"github.com/aemp-go/aemp-go/protocol"
)

// TestArgsLivePerl sends the values of node/testdata/args_perl.json through
// real Perl: the agent decodes each JSON text with JSON::XS, as the table's
// generator did, and snds them all to a Go port (CBOR one way, JSON the
// other). node.Args must read each as Perl printed it in the table:
// "$x", truth, and $x + 0.
func TestArgsLivePerl(t *testing.T) {
	RequirePerl(t)
	b, err := os.ReadFile("../node/testdata/args_perl.json")
	if err != nil {
		t.Fatal(err)
	}
	var rows []struct {
		JSON string  `json:"json"`
		Str  *string `json:"str"`
		Num  string  `json:"num"`
		True bool    `json:"true"`
	}
	if err := json.Unmarshal(b, &rows); err != nil {
		t.Fatal(err)
	}
	msg := []any{"vals"}
	for _, r := range rows {
		if r.JSON != "" {
			msg = append(msg, json.RawMessage(r.JSON))
		}
	}
	for _, tp := range topologies {
		t.Run(tp.name, func(t *testing.T) {
			e := setupKernel(t, tp, "args_"+tp.name)
			p, ch := goPort(e.n)
			e.perl.Do(t, map[string]any{"op": "snd", "to": p.ID(), "msg": msg})
			a := node.Args(recv(t, ch, "values from Perl"))
			if a.Len() != len(msg) {
				t.Fatalf("%d values arrived, %d sent", a.Len(), len(msg))
			}
			i := 0
			for _, r := range rows {
				if r.JSON == "" {
					continue
				}
				i++
				s, err := a.String(i)
				switch {
				case err != nil:
					t.Errorf("%s: String: %v", r.JSON, err)
				case r.Str == nil && !a.IsUndef(i), r.Str != nil && s != *r.Str:
					t.Errorf("%s: arrived as %#v, String %q; Perl printed %v", r.JSON, a[i], s, derefOr(r.Str, "undef"))
				}
				if bv, _ := a.Bool(i); bv != r.True {
					t.Errorf("%s: arrived as %#v, Bool %v; Perl %v", r.JSON, a[i], bv, r.True)
				}
				want, _ := strconv.ParseFloat(r.Num, 64)
				if got := a.Num(i); got != want && protocol.FormatPerlFloat(got) != protocol.FormatPerlFloat(want) {
					t.Errorf("%s: arrived as %#v, Num %v; Perl %s", r.JSON, a[i], got, r.Num)
				}
			}
		})
	}
}

func derefOr(s *string, def string) string {
	if s == nil {
		return def
	}
	return strconv.Quote(*s)
}
