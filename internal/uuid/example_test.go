package uuid_test

import (
	"fmt"

	"github.com/envpromote/envpromote/internal/uuid"
)

func ExampleNew() {
	id := uuid.New()
	fmt.Println(len(id), id[14:15])
	// Output: 36 4
}
