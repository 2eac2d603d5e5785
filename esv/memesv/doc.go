// Package memesv is an in-memory esv.Store, for tests, examples and
// single-process use. State lives as long as the Store value; each Load and
// Save copies it, so callers never share maps with the store.
package memesv
