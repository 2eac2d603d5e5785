// Package envtest is the conformance suite every environment.Store passes:
// call [Run] from a backend's tests, with -race.
//
//	func TestConformance(t *testing.T) {
//		envtest.Run(t, func(*testing.T) environment.Store { return memenv.New() })
//	}
package envtest
