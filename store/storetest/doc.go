// Package storetest is the conformance suite every store.Repo must pass:
// a backend's store.Driver under store.Checked, or anything else
// implementing store.Repo. Its alias tests run when the Repo is a
// store.Namer.
//
// A backend's test calls Run with a constructor returning a new, empty repo:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Repo { return memstore.New(memstore.Options{}) })
//	}
//
// Run it with -race: the racing tests are meant to find data races too.
package storetest
