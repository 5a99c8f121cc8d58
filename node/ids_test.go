package node

import "testing"

func TestPerlIncr(t *testing.T) {
	for in, want := range map[string]string{"a": "b", "z": "aa", "az": "ba", "zz": "aaa", "Az": "Ba", "a9": "b0", "Zz": "AAa"} {
		if got := perlIncr(in); got != want {
			t.Errorf("perlIncr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRUNIQShape(t *testing.T) {
	for i := 0; i < 100; i++ {
		r := newRUNIQ()
		if len(r) != 10 || r[9] >= 'a' && r[9] <= 'z' {
			t.Fatalf("RUNIQ %q", r)
		}
	}
}
