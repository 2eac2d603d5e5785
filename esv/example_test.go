package esv_test

import (
	"context"
	"fmt"

	"github.com/envpromote/envpromote/actor"
	"github.com/envpromote/envpromote/esv"
	"github.com/envpromote/envpromote/esv/memesv"
)

// Define a variable, reference it in configuration, find the references and
// expand them with the values the environment loaded.
func Example() {
	ctx := actor.With(context.Background(), "ada")
	svc := esv.New(memesv.New(), esv.Options{})

	// Define a variable; it is loaded at the next restart.
	if _, err := svc.SetVariable(ctx, "dev", "esv-smtp-port", esv.VariableSpec{ExpressionType: esv.TypeInt, Value: "587"}); err != nil {
		panic(err)
	}
	if _, err := svc.Restart(ctx, "dev"); err != nil {
		panic(err)
	}

	// Reference it in configuration.
	config := []byte(`{"port": {"$int": "` + esv.Placeholder("esv-smtp-port") + `"}, "host": "&{esv.smtp.host|localhost}"}`)

	// Find the references.
	refs, err := esv.Refs("email-provider/smtp.json", config)
	if err != nil {
		panic(err)
	}
	for _, r := range refs {
		fmt.Printf("%s at %s wants %s\n", r.Name, r.JSONPath, r.Type)
	}

	// Expand them.
	lookup, err := svc.Lookup(ctx, "dev")
	if err != nil {
		panic(err)
	}
	out, err := esv.Expand(config, lookup)
	fmt.Println(string(out), err)
	// Output:
	// esv-smtp-port at port.\$int wants int
	// esv-smtp-host at host wants string
	// {"port": 587, "host": "localhost"} <nil>
}

func ExampleValidateName() {
	fmt.Println(esv.ValidateName("esv-smtp-port"))
	fmt.Println(esv.ValidateName("esv-SMTP"))
	// Output:
	// <nil>
	// invalid ESV name "esv-SMTP": character 'S' at position 5 is not allowed (allowed: "esv-" then lowercase a-z, 0-9, '_' and '-', at most 124 characters)
}

func ExampleRefs_malformed() {
	_, err := esv.Refs("ui/config.json", []byte(`{"title": "&{esv.app-name}"}`))
	fmt.Println(err)
	// Output:
	// 1 malformed ESV reference(s):
	//	ui/config.json:1:12 (title): "&{esv.app-name}": hyphens are written as dots in references (esv.my.var names esv-my-var)
}

func ExampleSecretValue() {
	v := esv.NewSecretValue([]byte("hunter2"))
	fmt.Println(v)
	fmt.Printf("%#v %x\n", v, v)
	// Output:
	// [redacted]
	// [redacted] [redacted]
}
