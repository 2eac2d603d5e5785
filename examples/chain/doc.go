// Chain promotes along a longer group, Development → UAT → UAT2 → Staging →
// Production, in memory: only adjacent pairs may promote, so the change
// made in Development reaches Production one step at a time.
//
//	go run ./examples/chain
package main
