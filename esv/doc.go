// Package esv implements environment secrets and variables (ESVs): values
// that configuration refers to by placeholder, so that one promoted
// configuration works in every environment. ESV values are never promoted;
// a promotion only checks that the upper environment has every ESV the
// configuration needs.
//
// # Names and references
//
// An ESV name is "esv-" followed by lowercase a–z, 0–9, '_' and '-', at most
// 124 characters (ValidateName). Configuration refers to esv-my-var as
// &{esv.my.var} (hyphens written as dots; Placeholder), optionally with a
// default, &{esv.my.var|fallback}, anywhere inside a string; typed through a
// wrapper object such as {"$int": "&{esv.port}"}; and in scripts as
// systemEnv.getProperty("esv.my.var") or identityServer.getProperty(…).
// Refs finds every reference of a file with its location, reporting
// malformed ones; Expand substitutes values.
//
// # Variables, secrets, restarts
//
// Service is the ESV API of a set of environments, enforcing every rule
// over a small compare-and-set Store (memesv, gitesv; esvtest is their
// conformance suite):
//
//   - A variable has an expression type fixed at creation and a value of at
//     most 65,535 bytes valid for that type.
//   - A secret has an encoding, a useInPlaceholders flag and numbered
//     versions, each ENABLED or DISABLED; the latest is active and can be
//     neither disabled nor deleted, and adding a version equal to the latest
//     changes nothing. Secret values are write-only: they live in
//     SecretValue, which never prints, logs or marshals them, and only
//     Lookup (for Expand) reveals them.
//   - Variable and secret names share one namespace, because a placeholder
//     cannot tell them apart.
//   - Every change is pending until Restart; Lookup serves what the
//     environment loaded at its last completed restart.
//   - A Guard is asked before every write, so a promotion lock refuses
//     writes with an error wrapping the lock's.
//   - Every write names its actor, taken from the context (WithActor, the
//     same as actor.With): it becomes lastChangedBy, and backends that keep
//     history record it with the change (ChangeOf). A write with no actor is
//     refused with actor.ErrMissing.
//
// The JSON forms of Variable, Secret and SecretVersion are the wire format
// of the AIC /environment/variables and /environment/secrets endpoints.
//
// Choices where the platform documents nothing: keyvaluelist values are
// comma-separated key=value pairs; list and keyvaluelist values may be
// empty; $list items are trimmed; Restart is a write (the Guard applies).
package esv
