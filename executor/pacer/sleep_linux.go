//go:build linux

package pacer

import (
	"context"
	"errors"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// fineMargin is how long before a deadline a precise wait leaves its timerfd for clock_nanosleep
// on a locked thread: the timerfd's wake comes through the poller and can be a little late, the
// thread's sleep ends within tens of microseconds. Only this last part holds a thread and a Go P.
const fineMargin = 100 * time.Microsecond

// SleepUntil blocks the calling goroutine, whichever it is, until at or until ctx ends: a timerfd
// until fineMargin before at, then clock_nanosleep (see [preciseUntil]).
func SleepUntil(ctx context.Context, at time.Time) error {
	t, _ := borrowTimerfd() // nil on error: preciseUntil's Go timer fallback
	err := preciseUntil(ctx, t, at)
	if t != nil {
		if errors.Is(err, errCancelled) {
			t.close() // it may still fire
		} else {
			giveBackTimerfd(t)
		}
	}
	if errors.Is(err, errCancelled) {
		return ctx.Err()
	}
	return err
}

// preciseUntil waits until at or until ctx ends: errCancelled if the timerfd's wait was cancelled,
// else ctx's error (nil if it has not ended).
// The coarse part, until fineMargin before at, is a wait on t; without t (timerfd_create refused,
// as a seccomp profile may) it is a Go timer until CoarseMargin before at. The rest is
// [sleepLocked]; a context cancellation ends the coarse part at once.
func preciseUntil(ctx context.Context, t *timerfd, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if t != nil {
		err := t.until(ctx, at.Add(-fineMargin))
		if errors.Is(err, errCancelled) {
			return err
		}
		if err != nil {
			t = nil // the timerfd failed: the fallback below
		}
	}
	if t == nil {
		if err := sleepGo(ctx, time.Until(at)-CoarseMargin); err != nil {
			return err
		}
	}
	if time.Until(at) > 0 && !sleepLocked(at) {
		return sleepGo(ctx, time.Until(at))
	}
	return ctx.Err()
}

// sleepLocked sleeps in clock_nanosleep until at on the goroutine's thread, locked to it and with
// a timer slack of 1 ns for the sleep only (the thread's own slack is restored, and the kernel's
// default 50 µs applies if prctl is refused). False means the sleep failed.
func sleepLocked(at time.Time) bool {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err == nil {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		restore := uintptr(old) // #nosec G115 -- the thread's slack as prctl returned it, never negative
		defer func() { _ = unix.Prctl(unix.PR_SET_TIMERSLACK, restore, 0, 0, 0) }()
	}
	return nanosleepUntil(at)
}
