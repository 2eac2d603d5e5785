// Package envpromote promotes configuration between the environments of an
// identity platform tenant — development → UAT… → staging → production — the
// way PingOne Advanced Identity Cloud self-service promotions do, on top of
// the PingOne Platform environment model.
//
// The library is a set of small packages, each an interface with an
// in-memory and a Git implementation, composed by the Promoter:
//
//   - store: versioned, content-addressed config snapshots, one branch per
//     environment, moved only by compare-and-set (memstore, gitstore).
//   - environment: PingOne environments (types, regions, licenses, bills of
//     materials, soft delete and restore, SCIM filters, role scopes) and
//     promotion groups (memenv, gitenv).
//   - esv: environment secrets and variables, the placeholders that refer to
//     them, versions and restarts (memesv, gitesv).
//   - lock: all-or-nothing locks on sets of environments, with leases and
//     fencing tokens (memlock, gitlock).
//   - integrity: the checks that stop a promotion that would break the upper
//     environment (missing ESVs, encrypted secrets, …).
//   - promotion: the Promoter — lock, check, promote, report, roll back,
//     revert — over any combination of the backends above.
//   - httpapi: the same operations over HTTP in the vendor's API shape.
//
// A promotion takes the static configuration of the lower environment and
// the dynamic configuration (identities, applications, policies, managed
// object data) of the upper one, checks the result, and records it as
// exactly one commit on the upper environment's branch whose parent is the
// head the checks saw. A crash leaves the old head or the new one, never a
// mix.
//
// The Example below is the whole job in a few lines. For a guided walk
// through locking, a blocked promotion, reports and rollback, run
// examples/quickstart (`go run ./examples/quickstart`), then read the
// promotion package.
package envpromote
