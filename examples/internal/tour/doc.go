// Package tour is the walk through a promotion that examples/quickstart
// (memory) and examples/gitrepo (Git on disk) both run: create the
// environments, edit development, look at the provisional report, lock,
// promote (blocked by a missing ESV, then through), read the report, roll
// back and unlock.
package tour
