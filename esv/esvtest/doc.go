// Package esvtest is the conformance suite every esv.Store passes. Run checks
// the Store contract itself (empty environments, round trips, compare-and-
// set, isolation, racing writers) and then every ESV rule (ARCHITECTURE.md)
// through an esv.Service over the store, so a backend that loses or mangles
// state fails a rule by name. Run it with -race.
//
//	func TestConformance(t *testing.T) {
//		esvtest.Run(t, func(t *testing.T) esv.Store { return mybackend.New(…) })
//	}
package esvtest
