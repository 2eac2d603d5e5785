// Package testclock is the settable clock the project's tests and
// conformance suites inject wherever a component takes a
// `func() time.Time`, so a test can move 30 days ahead in one line.
package testclock
