// Package memenv keeps environments in memory: a [Store] for
// environment.Registry, [Licenses] to say which licenses an organization
// holds, and an [AuditLog] that keeps every audit event and answers
// queries. Everything is lost when the process exits; use gitenv to keep
// environments in Git.
package memenv
