// Gitrepo runs the quickstart's promotion on a Git repository on disk:
// configuration (gitstore), locks (gitlock) and ESVs (gitesv, secrets
// encrypted) all live in one bare repository, which it then tells you how to
// inspect with the git CLI.
//
//	go run ./examples/gitrepo [-dir /path/to/new/repo]
package main
