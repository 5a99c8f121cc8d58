//go:build !race

package node

// departedPeers is how many short-lived peers TestDepartedPeersLeaveNothing
// lets come and go.
const departedPeers = 10000
