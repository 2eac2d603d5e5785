// Server serves a demo organization over the AIC promotion and ESV APIs and
// PingOne's /v1/environments, so AIC clients, scripts and curl can run a
// whole promotion against it. Development, staging and production hold a
// synthetic tenant in one Git repository on disk (configuration, locks,
// ESVs with encrypted secrets, environments), and development has a change
// that needs an ESV staging lacks.
//
//	go run ./examples/server [-addr 127.0.0.1:8080] [-dir /path/to/new/dir] [-token T] [-lock-ttl 15m]
//
// Several instances scale out over one shared Git remote (any Git server:
// git daemon, git http-backend, a hosting service). Each keeps its own
// cache; the first to start on an empty remote seeds the demo, the others
// join it; all share the token and the key of secret ESVs:
//
//	git init --bare /srv/demo.git && git daemon --export-all --enable=receive-pack --base-path=/srv &
//	export ENVPROMOTE_ESV_KEY=$(openssl rand -hex 32)
//	go run ./examples/server -remote git://127.0.0.1/demo.git -token T -addr :8081 &
//	go run ./examples/server -remote git://127.0.0.1/demo.git -token T -addr :8082 &
//
// Requests may go to any instance: a lock taken through one is seen and
// released through another, and of instances racing for one lock exactly
// one wins. A lock held by an instance that crashed lasts at most -lock-ttl.
//
// It prints a bearer token and the curl commands of a promotion, and stops
// on SIGINT or SIGTERM, letting a running promotion finish (or, after
// -grace, cancelling it: a promotion commits atomically, so that leaves no
// partial state).
package main
