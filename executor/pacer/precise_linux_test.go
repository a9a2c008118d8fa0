//go:build linux

package pacer

import (
	"context"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/procfs"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestTheLoopsWaitsLeaveTheThreadsTimerSlackAsItWas(t *testing.T) {
	t.Parallel()
	require.NoError(t, Run(func(w Waiter) {
		runtime.LockOSThread() // the same thread before and after; it exits with the goroutine
		before, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		assert.NoError(t, err)
		assert.NoError(t, w.Until(t.Context(), time.Now().Add(300*time.Microsecond)))
		after, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		assert.NoError(t, err)
		assert.Equal(t, before, after, "the thread's timer slack changed")
	}))
}

func TestTheLoopsWaiterReadsATimerfd(t *testing.T) {
	t.Parallel()
	require.NoError(t, Run(func(w Waiter) {
		pw, ok := w.(*preciseWaiter)
		require.True(t, ok)
		assert.NotNil(t, pw.timer, "no timerfd: every wait's first part is a Go timer")
	}))
}

// SleepUntil keeps a few timerfds for the next calls rather than one per call or per caller: many
// concurrent and repeated sleeps leave at most the pool's size open.
func TestSleepUntilReusesABoundedNumberOfTimerfds(t *testing.T) {
	before := openTimerfds(t)
	var wg sync.WaitGroup
	for range 200 {
		wg.Go(func() {
			for range 5 {
				assert.NoError(t, SleepUntil(t.Context(), time.Now().Add(time.Millisecond)))
			}
		})
	}
	wg.Wait()
	assert.LessOrEqual(t, openTimerfds(t)-before, cap(idleTimerfds))
}

// A cancelled SleepUntil closes its timerfd (it may still fire) rather than handing it to the next.
func TestACancelledSleepUntilDoesNotLeakItsTimerfd(t *testing.T) {
	before := openTimerfds(t)
	for range 100 {
		ctx, cancel := context.WithTimeout(t.Context(), time.Millisecond)
		assert.ErrorIs(t, SleepUntil(ctx, time.Now().Add(time.Hour)), context.DeadlineExceeded)
		cancel()
	}
	assert.LessOrEqual(t, openTimerfds(t)-before, cap(idleTimerfds))
	assert.NoError(t, SleepUntil(t.Context(), time.Now().Add(time.Millisecond)), "a pooled timerfd still works")
}

// openTimerfds counts the process's open timerfds.
func openTimerfds(t *testing.T) int {
	t.Helper()
	self, err := procfs.Self()
	require.NoError(t, err)
	targets, err := self.FileDescriptorTargets()
	require.NoError(t, err)
	n := 0
	for _, target := range targets {
		if target == "anon_inode:[timerfd]" {
			n++
		}
	}
	return n
}
