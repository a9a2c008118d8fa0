//go:build linux

package pacer

import (
	"context"
	"runtime"
	"time"

	"golang.org/x/sys/unix"
)

// SleepUntil blocks the calling goroutine, whichever it is, until at or until ctx ends: a Go timer
// until CoarseMargin before at, then clock_nanosleep on the goroutine's thread, locked to it and
// with a timer slack of 1 ns for the sleep only (the thread's own slack is restored).
func SleepUntil(ctx context.Context, at time.Time) error {
	if err := sleepGo(ctx, time.Until(at)-CoarseMargin); err != nil {
		return err
	}
	if time.Until(at) <= 0 {
		return ctx.Err()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	old, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
	if err == nil {
		_ = unix.Prctl(unix.PR_SET_TIMERSLACK, 1, 0, 0, 0)
		restore := uintptr(old) // #nosec G115 -- the thread's slack as prctl returned it, never negative
		defer func() { _ = unix.Prctl(unix.PR_SET_TIMERSLACK, restore, 0, 0, 0) }()
	}
	if !nanosleepUntil(at) {
		return sleepGo(ctx, time.Until(at))
	}
	return ctx.Err()
}
