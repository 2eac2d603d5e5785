// Gitrepo keeps a whole tenant in one bare Git repository on disk through the
// front door (envpromote.Open): each environment's configuration on the
// branch named by its id, the environments, licenses and promotion groups on
// "environments", ESVs on "esv/<id>" (secret values encrypted), locks and
// dry-run reports. It promotes and rolls back, reopens the repository as
// another process would and finds every environment by name, then tells you
// how to inspect it with the git CLI.
//
//	go run ./examples/gitrepo [-dir /path/to/new/repo]
package main
