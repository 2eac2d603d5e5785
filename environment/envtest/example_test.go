package envtest_test

import (
	"fmt"
	"time"

	"github.com/envpromote/envpromote/environment/envtest"
)

func ExampleClock() {
	clock := envtest.NewClock(time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.Add(30 * 24 * time.Hour)
	fmt.Println(clock.Now().Format(time.DateOnly))
	// Output:
	// 2030-01-31
}
