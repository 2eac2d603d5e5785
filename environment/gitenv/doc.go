// Package gitenv keeps environments and promotion groups as JSON files on
// one branch of a store.Repo — normally a gitstore repository, so all state
// lives in Git and several processes or machines can share it. The branch
// (DefaultBranch, "environments") holds
//
//	environments/<id>.json              one PingOne environment each
//	groups/<organization>/<name>.json   one promotion group each
//	licenses/<organization>/<id>.json   one license each (environment.StoreLicenses)
//	organizations/<id>.json             the organization's revision counter
//
// and every change is one commit whose author is the principal and whose
// message says what changed, so `git log environments` is the history of
// every environment. Record versions are content hashes; Apply checks them
// against the branch head and moves the head by compare-and-set, rebasing
// when another commit touched other records.
package gitenv
