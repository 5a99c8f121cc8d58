package node

import (
	"fmt"
	"os"
	"sync"
)

var traceMu sync.Mutex

type prefixWriter string

func (p prefixWriter) Write(b []byte) (int, error) {
	traceMu.Lock()
	defer traceMu.Unlock()
	fmt.Fprintf(os.Stderr, "%s: %s", string(p), b)
	return len(b), nil
}
