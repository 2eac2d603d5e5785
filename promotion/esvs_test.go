package promotion_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
	"github.com/envpromote/envpromote/promotion"
)

// TestESVService_SameMapWhileTheESVsStay: an integrity Runner judges a map
// once, so ESVService hands out the same map until an ESV changes, then a
// new one, never changing a map it handed out.
func TestESVService_SameMapWhileTheESVsStay(t *testing.T) {
	ctx := actor.With(context.Background(), "ada")
	svc := esv.New(memesv.New(), esv.Options{})
	set := func(name string) {
		t.Helper()
		if _, err := svc.SetVariable(ctx, "env", name, esv.VariableSpec{Value: "v"}); err != nil {
			t.Fatal(err)
		}
	}
	src := promotion.ESVService(svc)
	get := func() reflect.Value {
		t.Helper()
		m, err := src.ESVs(ctx, "env")
		if err != nil {
			t.Fatal(err)
		}
		return reflect.ValueOf(m)
	}
	set("esv-a")
	first := get()
	if again := get(); again.Pointer() != first.Pointer() {
		t.Fatal("unchanged ESVs gave a new map")
	}
	set("esv-b")
	changed := get()
	if changed.Pointer() == first.Pointer() || changed.Len() != 2 || first.Len() != 1 {
		t.Fatalf("after a change: same map %v, %d ESVs (the first map now has %d)", changed.Pointer() == first.Pointer(), changed.Len(), first.Len())
	}
}
