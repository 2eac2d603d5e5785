package locktest_test

import (
	"fmt"
	"time"

	"github.com/envpromote/envpromote/lock/locktest"
)

func ExampleClock() {
	clock := locktest.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	clock.Advance(90 * time.Minute)
	fmt.Println(clock.Now().Format(time.Kitchen))
	// Output:
	// 1:30AM
}
