package node

import (
	"syscall"
	"time"
)

// napPrecise: nanosleep sleeps about as long as asked (tens of µs), unlike
// time.Sleep, whose sub-millisecond sleeps last a millisecond when the
// process is otherwise idle (the netpoller waits in whole milliseconds).
const napPrecise = true

// nap sleeps d in the calling thread. The reader goroutine's P is handed
// on like in any blocking syscall.
func nap(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}
