// Server serves a demo organization over the AIC promotion and ESV APIs and
// PingOne's /v1/environments, so AIC clients, scripts and curl can run a
// whole promotion against it. Development, staging and production hold a
// synthetic tenant in one Git repository on disk (configuration, locks,
// ESVs with encrypted secrets, environments), and development has a change
// that needs an ESV staging lacks.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-dir /path/to/new/dir] [-token T]
//
// It prints a bearer token and the curl commands of a promotion, and stops
// on SIGINT or SIGTERM, letting a running promotion finish (or, after
// -grace, cancelling it: a promotion commits atomically, so that leaves no
// partial state).
package main
