// Package actor carries who makes a change. Every write in the library —
// an environment change, an ESV change, a lock, a promotion, an edit, a
// revert — is made by an actor, a person or a service named by a non-empty
// string such as "ada" or "Ada Lovelace <ada@example.com>". Git commits are
// authored by it and reports and audit events name it.
//
// The actor travels in the context (With), so APIs that had no actor
// argument gained one without a signature change. Where an API already names
// who acts (environment.Principal.ID, promotion's lock owner and
// Request.Promoter, store.CommitInfo.Author), that name is the actor and,
// when it is empty, the context's is used. A write with neither is refused
// with an error of kind errkind.Invalid (ErrMissing).
package actor
