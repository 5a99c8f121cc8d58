//go:build !linux

package node

import "time"

// napPrecise is false where no sleep shorter than a timer tick is at
// hand: readers then never nap (see recvpath.go).
const napPrecise = false

func nap(time.Duration) {}
