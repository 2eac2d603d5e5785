// Package gitesv is an esv.Store kept in a store.Repo — normally a gitstore
// Git repository — so ESV state lives in Git and several processes or
// machines can share it through the repo's compare-and-set.
//
// Each environment has its own branch, Options.BranchPrefix + env
// (default "esv/dev", …), whose tree holds readable JSON files:
//
//	variables/<name>.json   a variable in the AIC wire format (valueBase64)
//	secrets/<name>.json     a secret's metadata and versions, values encrypted
//	loaded.json             what the environment loaded at its last restart
//	restart.json            a restart in progress, if any
//
// Every Save is one commit, authored by the actor of the change and with a
// subject saying what changed ("Set variable esv-greeting in dev"), taken
// from esv.ChangeOf; a Save with no actor is refused (actor.ErrMissing).
// The subject calls the environment by Options.Name when it knows one (the
// envpromote front door passes the Registry's names), and the environment
// trailer always holds the id.
// Secret values are encrypted with AES-256-GCM under keys derived
// (HMAC-SHA256) from the key the user supplies, and bound by the additional
// data to the environment, secret and version they belong to, so a
// ciphertext copied elsewhere does not decrypt. No Git object ever holds a
// secret in plaintext.
//
// The nonce is derived from the value and its place (a synthetic IV), so
// re-saving an unchanged secret writes the identical blob and Git shares it;
// the only thing this reveals is that a value at one place did not change.
package gitesv
