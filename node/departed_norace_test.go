//go:build !race

package node

// departedConns is how many short-lived peers TestDepartedPeersLeaveNothing
// lets come and go.
const departedConns = 10000
