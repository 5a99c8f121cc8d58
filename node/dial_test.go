package node

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/aemp-go/aemp-go/protocol"
)

// TestOneOutgoingHandshakePerNode: two dials of one node to the same peer
// at once (a slave's seed dial and the node dial its g_slave starts) end
// with one connection: the second gives up at its greeting, whichever
// way the two interleave. Two finished connections would each be made
// current on one side and dropped by the other, taking the node down
// right after it came up.
func TestOneOutgoingHandshakePerNode(t *testing.T) {
	for i := range 20 {
		a := newTestNode(t, "a", false)
		b := newTestNode(t, "b", true)
		addr := b.Binds()[0]
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for k := range errs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[k] = a.Connect(context.Background(), addr)
			}()
		}
		wg.Wait()
		ok, refused := 0, 0
		for _, err := range errs {
			switch {
			case err == nil:
				ok++
			case errors.Is(err, protocol.ErrAlreadyConnected):
				refused++
			default:
				t.Fatalf("round %d: dial failed: %v", i, err)
			}
		}
		if ok != 1 || refused != 1 {
			t.Fatalf("round %d: %d dials connected, %d refused; want one of each", i, ok, refused)
		}
		a.Close()
		b.Close()
	}
}
