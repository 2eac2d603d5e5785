package memesv_test

import (
	"context"
	"fmt"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
)

func Example() {
	ctx := actor.With(context.Background(), "ada")
	svc := esv.New(memesv.New(), esv.Options{})
	v, _ := svc.SetVariable(ctx, "dev", "esv-smtp-port", esv.VariableSpec{ExpressionType: esv.TypeInt, Value: "465"})
	fmt.Println(v.Name, v.ExpressionType, v.Value, v.Loaded)
	// Output: esv-smtp-port int 465 false
}
