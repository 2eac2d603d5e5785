// Package envpromote promotes configuration between the environments of an
// identity platform tenant — development → UAT… → staging → production — the
// way PingOne Advanced Identity Cloud self-service promotions do, on top of
// the PingOne Platform environment model.
//
// This package is the front door. Open (a Git repository on disk, created if
// missing, optionally shared through a remote) and NewMemory return a Tenant
// that wires every backend once and safely: the Registry with licenses in the
// same store, ESV writes always refused while an environment is locked for a
// promotion, Promoters whose group always comes from the Registry, one clock,
// one logger, and a janitor that removes expired soft-deleted environments.
// Tenant.Promote does the whole job in one call: lock, check, promote,
// unlock.
//
// Who makes a change travels in the context (WithActor): every write records
// it and Git commits are authored by it; a write without one is refused.
// Every error of every package has one of six kinds (NotFound, Conflict,
// Invalid, Locked, Forbidden, FailedPrecondition), matched with errors.Is or
// read with KindOf; a blocked promotion's error carries its findings
// (*integrity.Error).
//
// Underneath, each piece is a small package with an in-memory and a Git
// backend, usable on its own:
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
//   - errkind and actor: the error kinds and the actor, which every package
//     shares.
//
// A promotion takes the static configuration of the lower environment and
// the dynamic configuration (identities, applications, policies, managed
// object data) of the upper one, checks the result, and records it as
// exactly one commit on the upper environment's branch whose parent is the
// head the checks saw. A crash leaves the old head or the new one, never a
// mix. ARCHITECTURE.md, at the root of the repository, explains the design.
//
// Start with the Examples below, then run examples/quickstart
// (`go run ./examples/quickstart`).
package envpromote
