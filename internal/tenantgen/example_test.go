package tenantgen_test

import (
	"fmt"

	"github.com/envpromote/envpromote/internal/tenantgen"
)

func Example() {
	t := tenantgen.Generate(tenantgen.Options{Seed: 7, Files: 200, MissingESVs: 2, Crypto: 1})

	kinds := map[tenantgen.Kind]int{}
	for _, k := range t.Kinds {
		kinds[k]++
	}
	fmt.Println("files:", len(t.Files))
	fmt.Println("static, dynamic, esv:", kinds[tenantgen.Static], kinds[tenantgen.Dynamic], kinds[tenantgen.ESV])
	fmt.Println("variables, secrets:", len(t.Vars), len(t.Secrets))
	fmt.Println("missing:", len(t.Missing), "crypto files:", len(t.Crypto))

	next, changed := t.Edit(1, 3)
	fmt.Println("edited:", len(changed), string(next.Files[changed[0]]) != string(t.Files[changed[0]]))
	// Output:
	// files: 200
	// static, dynamic, esv: 131 51 18
	// variables, secrets: 13 5
	// missing: 2 crypto files: 1
	// edited: 3 true
}
