//go:build linux

package pacer

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestTheLoopsThreadHasATimerSlackOfOneNanosecond(t *testing.T) {
	t.Parallel()
	require.NoError(t, Run(func(Waiter) {
		slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		assert.NoError(t, err)
		assert.Equal(t, 1, slack)
	}))
}

func TestSleepUntilLeavesTheThreadsTimerSlackAsItWas(t *testing.T) {
	t.Parallel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread() // the same thread before and after; it exits with the goroutine
		before, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		assert.NoError(t, err)
		assert.NoError(t, SleepUntil(t.Context(), time.Now().Add(300*time.Microsecond)))
		after, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		assert.NoError(t, err)
		assert.Equal(t, before, after, "the thread's timer slack changed")
		assert.NotEqual(t, 1, after, "the 1 ns slack of the sleep stayed on the thread")
	}()
	<-done
}
