//go:build linux

package pacer

import (
	"context"
	"errors"
	"time"

	"golang.org/x/sys/unix"
)

// preciseWaiter is the loop's Waiter on Linux: [preciseUntil] on a timerfd of its own.
type preciseWaiter struct {
	timer *timerfd // nil: the Go timer fallback for the coarse part
}

// newPreciseWaiter creates the waiter's timerfd; if the kernel refuses one, the coarse part of
// each wait is a Go timer (the end of the wait is still clock_nanosleep).
func newPreciseWaiter() Waiter {
	t, _ := newTimerfd() // nil on error
	return &preciseWaiter{timer: t}
}

func (w *preciseWaiter) Precise() bool { return true }

func (w *preciseWaiter) Until(ctx context.Context, at time.Time) error {
	err := preciseUntil(ctx, w.timer, at)
	if errors.Is(err, errCancelled) {
		// The cancellation may still be setting the old timerfd's read deadline: use a new one.
		w.close()
		w.timer, _ = newTimerfd()
		return ctx.Err()
	}
	return err
}

// close releases the timerfd when the loop has returned.
func (w *preciseWaiter) close() {
	if w.timer != nil {
		w.timer.close()
	}
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
