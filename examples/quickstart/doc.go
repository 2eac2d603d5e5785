// Quickstart runs a whole promotion in memory: three environments
// (Development → Staging → Production), an edit in Development, a
// provisional report, a lock, a promotion blocked by a missing ESV, the fix,
// the promotion, its report, a rollback and the unlock.
//
//	go run ./examples/quickstart
package main
