package protocol

import "testing"

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
