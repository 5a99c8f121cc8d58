//go:build unix

package node

import "syscall"

// inlineWrites: senders may write an idle connection's socket themselves
// (conn.writeInline), with one non-blocking write.
const inlineWrites = true

// writeFD is one write(2) on a non-blocking socket: it never waits.
func writeFD(fd uintptr, b []byte) (int, error) { return syscall.Write(int(fd), b) }
