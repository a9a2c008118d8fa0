//go:build linux

package pacer

import (
	"context"
	"errors"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// preciseWaiter sleeps in clock_nanosleep on a thread locked to the loop's goroutine, with a
// timer slack of 1 ns, after a Go timer has covered all but CoarseMargin of the wait.
type preciseWaiter struct {
	coarse *timerWaiter
}

// newPreciseWaiter locks the calling goroutine to its thread and sets the thread's timer slack.
// It never unlocks: the goroutine's exit ends the thread (see the package doc). If prctl is
// refused (a seccomp profile), the kernel's default slack (50 µs) applies and the waits are still
// far finer than a Go timer's.
func newPreciseWaiter() Waiter {
	runtime.LockOSThread()
	_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0) // best effort, as said above
	return &preciseWaiter{coarse: newTimerWaiter()}
}

func (w *preciseWaiter) Precise() bool { return true }

func (w *preciseWaiter) Until(ctx context.Context, at time.Time) error {
	if err := w.coarse.sleep(ctx, time.Until(at)-CoarseMargin); err != nil {
		return err
	}
	for {
		d := time.Until(at)
		if d <= 0 {
			break
		}
		ts := unix.NsecToTimespec(d.Nanoseconds())
		err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, nil)
		if err != nil && !errors.Is(err, unix.EINTR) {
			// Not expected from a valid relative sleep; finish on the Go timer rather than spin.
			if err := w.coarse.sleep(ctx, time.Until(at)); err != nil {
				return err
			}
			break
		}
	}
	return ctx.Err()
}
