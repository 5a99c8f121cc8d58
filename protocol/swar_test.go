package protocol

import (
	"math/rand/v2"
	"testing"
)

// TestPlainRun checks the word-at-a-time scan against a byte loop for
// every byte value at every offset of a word, after every plain prefix,
// and with every byte value right after it (what a borrow could flag).
func TestPlainRun(t *testing.T) {
	slow := func(b []byte, i int) int {
		for i < len(b) && jsonPlain[b[i]] {
			i++
		}
		return i
	}
	for n := 0; n < 20; n++ {
		for c := range 256 {
			for _, after := range []byte{0, 1, '"', '\\', 0x1f, 0x20, 0x7f, 0x80, 0xff, 'a'} {
				b := make([]byte, 0, n+2)
				for k := range n {
					b = append(b, 'a'+byte(k%26))
				}
				b = append(b, byte(c), after)
				for start := 0; start <= len(b); start++ {
					if got, want := plainRun(b, start), slow(b, start); got != want {
						t.Fatalf("plainRun(%q, %d) = %d, want %d", b, start, got, want)
					}
				}
			}
		}
	}
}

// TestPlainRunRandom checks random words, drawn mostly from the bytes
// around the flagged ranges, against the byte loop.
func TestPlainRunRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	near := []byte{0, 1, 0x1f, 0x20, 0x21, '"', 0x23, 0x5b, '\\', 0x5d, 0x7e, 0x7f, 0x80, 0x81, 0xdc, 0xff, 'a'}
	b := make([]byte, 24)
	for range 200000 {
		for k := range b {
			if r.IntN(4) == 0 {
				b[k] = byte(r.IntN(256))
			} else {
				b[k] = near[r.IntN(len(near))]
			}
		}
		for start := 0; start < 8; start++ {
			want := start
			for want < len(b) && jsonPlain[b[want]] {
				want++
			}
			if got := plainRun(b, start); got != want {
				t.Fatalf("plainRun(%q, %d) = %d, want %d", b, start, got, want)
			}
		}
	}
}
