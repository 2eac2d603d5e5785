package retry_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/envpromote/envpromote/internal/retry"
)

var errBusy = errors.New("busy")

func TestRule_LoopStopsAfterMaxAttempts(t *testing.T) {
	for _, attempts := range []int{1, 2, 5} {
		l := retry.Policy{First: time.Microsecond, MaxAttempts: attempts}.Start()
		tries := 0
		var err error
		for {
			tries++
			if err = l.Wait(t.Context(), errBusy); err != nil {
				break
			}
		}
		if tries != attempts || !errors.Is(err, retry.ErrExhausted) || !errors.Is(err, errBusy) {
			t.Errorf("MaxAttempts %d: %d tries, err %v; want %d tries and ErrExhausted wrapping the last failure", attempts, tries, err, attempts)
		}
	}
}

func TestRule_LoopStopsAfterMaxElapsed(t *testing.T) {
	l := retry.Policy{First: time.Millisecond, MaxElapsed: 20 * time.Millisecond}.Start()
	for {
		if err := l.Wait(t.Context(), errBusy); err != nil {
			if !errors.Is(err, retry.ErrExhausted) {
				t.Fatalf("err = %v, want ErrExhausted", err)
			}
			return
		}
	}
}

func TestRule_ZeroPolicyIsBounded(t *testing.T) {
	l := retry.Policy{First: time.Nanosecond, Max: time.Nanosecond}.Start()
	for tries := 1; ; tries++ {
		if err := l.Wait(t.Context(), errBusy); err != nil {
			if tries != retry.Default.MaxAttempts {
				t.Fatalf("zero bounds stopped after %d tries, want Default's %d", tries, retry.Default.MaxAttempts)
			}
			return
		}
	}
}

func TestRule_WaitEndsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	err := retry.Policy{First: time.Hour}.Poll().Wait(ctx, errBusy)
	if !errors.Is(err, context.Canceled) || !errors.Is(err, errBusy) {
		t.Fatalf("err = %v, want context.Canceled wrapping the last failure", err)
	}
}

func TestRule_WakeOnCutsThePauseShort(t *testing.T) {
	l := retry.Policy{First: time.Hour, Max: time.Hour}.Poll()
	ch := make(chan struct{})
	close(ch)
	l.WakeOn(ch)
	if err := l.Wait(t.Context(), errBusy); err != nil {
		t.Fatal(err)
	}
}

func ExamplePolicy() {
	tries := 0
	try := func() error {
		tries++
		if tries < 3 {
			return errBusy // e.g. a lost compare-and-set
		}
		return nil
	}
	for l := retry.Default.Start(); ; {
		err := try()
		if err == nil || !errors.Is(err, errBusy) {
			break
		}
		if err := l.Wait(context.Background(), err); err != nil {
			panic(err)
		}
	}
	fmt.Println("succeeded after", tries, "tries")
	// Output: succeeded after 3 tries
}
