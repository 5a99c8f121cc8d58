//go:build race

package node

// departedConns: fewer under the race detector, which makes every
// handshake several times slower; the leak it looks for (50-68 KiB per
// peer) shows as clearly with 2,000.
const departedConns = 2000
