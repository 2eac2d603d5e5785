// Package interop drives a real envpromote HTTP server, on a loopback
// port, with the unmodified Go clients that real deployments use: the
// vendor's generated AIC client (github.com/pingidentity/identitycloud-go-client)
// and the PingOne Go SDK that the PingOne Terraform provider uses
// (github.com/patrickcping/pingone-go-sdk-v2/management). It is a module
// of its own, so the library's go.mod never lists them.
//
// Run it from this directory:
//
//	GONOSUMDB=github.com/pingidentity/identitycloud-go-client,github.com/patrickcping/pingone-go-sdk-v2 \
//	  go test -mod=readonly -race ./...
//
// go.sum pins every module the tests build with, and -mod=readonly makes
// a missing or different hash an error, exactly as without the variable.
// GONOSUMDB only stops the go command from asking the public checksum
// database about the two client modules when it has to add them to
// go.sum, which it may not know versions of: it never relaxes the check
// against go.sum.
//
// # What the clients cannot do
//
// The vendor client cannot decode a variable list by itself. The spec
// answers GET /environment/variables with oneOf(esvVariableListV1,
// esvVariableListV2), and both schemas accept every list body (they
// differ only in whether items carry valueBase64, which neither
// requires), so the generated decoder finds two matches and returns "data
// matches more than one schema in oneOf(GetAllVariables200Response)" for
// every answer, from any server. The server does not bend its body to
// dodge that; the test reads the list from the error's body with the
// client's own EsvVariableListV1 model, as a user of the client has to.
package interop
