package promotion_test

import (
	"testing"

	"github.com/envpromote/envpromote/internal/gittest"
	"github.com/envpromote/envpromote/store/gitstore"
)

// remoteRepo is an on-disk cache of a new repository on srv: a machine of
// several sharing a remote over loopback.
func remoteRepo(b *testing.B, srv *gittest.Server) *gitstore.Repo {
	repo, err := gitstore.Init(b.TempDir(), gitstore.Options{Remote: srv.NewRepo(b)})
	if err != nil {
		b.Fatal(err)
	}
	return repo
}

// The peers of these are BenchmarkPromoteOneFile/size=Large/backend=gitstore
// and BenchmarkPromoteFull_Large_Gitstore: the same
// promotions on a local on-disk repository.

func BenchmarkPromoteOneFile_Large_RemoteHTTP(b *testing.B) {
	benchOneFile(b, remoteRepo(b, gittest.HTTP(b)), "Large")
}

func BenchmarkPromoteOneFile_Large_RemoteDaemon(b *testing.B) {
	benchOneFile(b, remoteRepo(b, gittest.Daemon(b)), "Large")
}

func BenchmarkPromoteFull_Large_RemoteHTTP(b *testing.B) {
	benchFull(b, remoteRepo(b, gittest.HTTP(b)))
}
