// Quickstart is the whole job in memory, through the front door only
// (package envpromote): a small tenant export in fr-config-manager's layout
// (embedded from ./tenant) imported into Development, Staging and
// Production; an edit in Development; a dry run; a promotion the integrity
// checks block, with the fix; the fix and the promotion; a rollback; and
// Staging's history, which names the environments and the actor.
//
//	go run ./examples/quickstart
//
// It imports nothing internal: copy it into your own module to start.
package main
