//go:build !unix

package node

// inlineWrites is off where a non-blocking write(2) is not at hand: every
// write goes through the connection's writer goroutine.
const inlineWrites = false

func writeFD(uintptr, []byte) (int, error) { panic("aemp: no inline writes on this platform") }
