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
	if !nanosleepUntil(at) {
		return w.coarse.sleep(ctx, time.Until(at))
	}
	return ctx.Err()
}

// nanosleepUntil sleeps in clock_nanosleep until at. False means the call failed, which a valid
// relative sleep does not: the caller then finishes on a Go timer rather than spin.
func nanosleepUntil(at time.Time) bool {
	for {
		d := time.Until(at)
		if d <= 0 {
			return true
		}
		ts := unix.NsecToTimespec(d.Nanoseconds())
		if err := unix.ClockNanosleep(unix.CLOCK_MONOTONIC, 0, &ts, nil); err != nil && !errors.Is(err, unix.EINTR) {
			return false
		}
	}
}
