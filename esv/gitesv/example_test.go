package gitesv_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/gitesv"
	"github.com/envpromote/envpromote/store/gitstore"
)

func Example() {
	ctx := actor.With(context.Background(), "ada")
	repo := gitstore.NewMemory(gitstore.Options{})
	st, err := gitesv.New(repo, gitesv.Options{Key: []byte("0123456789abcdef0123456789abcdef")})
	if err != nil {
		panic(err)
	}
	svc := esv.New(st, esv.Options{})
	svc.SetVariable(ctx, "dev", "esv-smtp-host", esv.VariableSpec{Value: "mail.example.com"})
	svc.CreateSecret(ctx, "dev", "esv-smtp-password", esv.SecretSpec{Value: esv.NewSecretValue([]byte("s3cret")), UseInPlaceholders: true})

	head, _ := repo.Head(ctx, "esv/dev")
	snap, _ := repo.Snapshot(ctx, head.Revision)
	snap.Walk(func(path string, data []byte) error {
		fmt.Println(path, strings.Contains(string(data), "s3cret"))
		return nil
	})
	// Output:
	// loaded.json false
	// secrets/esv-smtp-password.json false
	// variables/esv-smtp-host.json false
}
