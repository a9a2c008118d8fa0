package pacer

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// runners are both ways to start a loop; every behaviour below holds for each.
func runners() map[string]func(func(Waiter)) error {
	return map[string]func(func(Waiter)) error{"Run": Run, "RunWithTimer": RunWithTimer}
}

func TestWaitsNeverEndBeforeTheirDeadline(t *testing.T) {
	t.Parallel()
	for name, run := range runners() {
		require.NoError(t, run(func(w Waiter) {
			start := time.Now()
			// Short waits (the OS sleep alone) and one past CoarseMargin (the Go timer, then the sleep).
			for _, offset := range []time.Duration{
				50 * time.Microsecond, 300 * time.Microsecond, time.Millisecond,
				CoarseMargin + 500*time.Microsecond,
			} {
				at := start.Add(offset)
				assert.NoError(t, w.Until(t.Context(), at), name)
				assert.False(t, time.Now().Before(at), "%s: woke before the deadline at %s", name, offset)
				start = time.Now()
			}
		}), name)
	}
}

func TestAPastDeadlineReturnsWithoutWaiting(t *testing.T) {
	t.Parallel()
	for name, run := range runners() {
		require.NoError(t, run(func(w Waiter) {
			assert.NoError(t, w.Until(t.Context(), time.Now().Add(-time.Hour)), name)
		}), name)
	}
}

func TestCancellationEndsALongWait(t *testing.T) {
	t.Parallel()
	for name, run := range runners() {
		ctx, cancel := context.WithCancel(t.Context())
		got := make(chan error, 1)
		go func() {
			got <- run(func(w Waiter) {
				got <- w.Until(ctx, time.Now().Add(time.Hour))
			})
		}()
		cancel()
		select {
		case err := <-got:
			require.ErrorIs(t, err, context.Canceled, name)
		case <-time.After(time.Minute): // a liveness bound only: the wait was an hour
			t.Fatalf("%s: the hour-long wait did not end on cancellation", name)
		}
		require.NoError(t, <-got, name)
	}
}

func TestAnEndedContextReturnsItsErrorWithoutWaiting(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancelCause(t.Context())
	cause := errors.New("the run was aborted")
	cancel(cause)
	for name, run := range runners() {
		require.NoError(t, run(func(w Waiter) {
			assert.ErrorIs(t, w.Until(ctx, time.Now().Add(time.Hour)), context.Canceled, name)
			assert.ErrorIs(t, w.Until(ctx, time.Now().Add(-time.Second)), context.Canceled, name)
		}), name)
	}
}

func TestAPanicInTheLoopIsReturnedWithItsStack(t *testing.T) {
	t.Parallel()
	for name, run := range runners() {
		err := run(func(Waiter) { panic("arrival loop bug") })
		var pe *PanicError
		require.ErrorAs(t, err, &pe, name)
		require.Equal(t, "arrival loop bug", pe.Value)
		require.Contains(t, string(pe.Stack), "pacer_test.go", name)
		require.Contains(t, err.Error(), "arrival loop bug")
	}
}

func TestRunUsesTheOSSleepOnLinuxAndTheTimerOtherwise(t *testing.T) {
	t.Parallel()
	require.NoError(t, Run(func(w Waiter) {
		assert.Equal(t, runtime.GOOS == "linux", w.Precise())
	}))
	require.NoError(t, RunWithTimer(func(w Waiter) {
		assert.False(t, w.Precise())
	}))
}

func TestALoopEndingInGoexitIsAnErrorNotAHang(t *testing.T) {
	t.Parallel()
	for name, run := range runners() {
		require.ErrorIs(t, run(func(Waiter) { runtime.Goexit() }), errGoexit, name)
	}
}

func TestSleepUntilNeverEndsBeforeItsTime(t *testing.T) {
	t.Parallel()
	start := time.Now()
	for _, offset := range []time.Duration{
		-time.Millisecond, 50 * time.Microsecond, 300 * time.Microsecond, CoarseMargin + 500*time.Microsecond,
	} {
		at := start.Add(offset)
		require.NoError(t, SleepUntil(t.Context(), at))
		require.False(t, time.Now().Before(at), "SleepUntil returned before %v", offset)
	}
}

func TestSleepUntilEndsWithItsContext(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Millisecond)
	defer cancel()
	began := time.Now()
	err := SleepUntil(ctx, began.Add(time.Hour))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(began), 10*time.Second, "the wait outlived its context")

	ended, cancelEnded := context.WithCancel(t.Context())
	cancelEnded()
	require.ErrorIs(t, SleepUntil(ended, time.Now().Add(time.Millisecond)), context.Canceled)
}
