package pacer

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"time"
)

// Waiter blocks its goroutine until deadlines. It belongs to the loop [Run] started and must be
// used from that goroutine only.
type Waiter interface {
	// Until blocks until the clock reaches at, or ctx ends; a deadline in the past returns at
	// once. It returns ctx's error when ctx ended first (or had ended), nil otherwise, and never
	// returns nil before at.
	Until(ctx context.Context, at time.Time) error
	// Precise reports whether the waits end in a high-resolution OS sleep (false: a Go timer).
	Precise() bool
}

// CoarseMargin is how long before a deadline a precise wait without a timerfd leaves its Go timer
// for the OS sleep, and how far ahead the executors hand an arrival to its VU. A Go timer fires up
// to about a millisecond late on an idle machine, so the margin keeps the deadline ahead of it.
const CoarseMargin = 2 * time.Millisecond

// PanicError is a panic recovered from the loop of [Run].
type PanicError struct {
	Value any
	Stack []byte
}

func (e *PanicError) Error() string {
	return fmt.Sprintf("pacer loop panicked: %v\n%s", e.Value, e.Stack)
}

// Run calls loop on a new goroutine with the platform's most precise [Waiter] and returns when
// loop has returned: nil, or a *PanicError if loop panicked.
func Run(loop func(Waiter)) error {
	return start(loop, true)
}

// RunWithTimer is [Run] with the fallback Waiter, a Go timer, on every platform (to compare them).
func RunWithTimer(loop func(Waiter)) error {
	return start(loop, false)
}

func start(loop func(Waiter), precise bool) error {
	done := make(chan error, 1)
	go func() {
		returned := false
		defer func() {
			switch r := recover(); {
			case r != nil:
				done <- &PanicError{Value: r, Stack: debug.Stack()}
			case !returned:
				done <- errGoexit
			default:
				done <- nil
			}
		}()
		var w Waiter = newTimerWaiter()
		if precise {
			w = newPreciseWaiter()
		}
		if c, ok := w.(interface{ close() }); ok {
			defer c.close()
		}
		loop(w)
		returned = true
	}()
	return <-done
}

// errGoexit is returned by Run when the loop ended its goroutine with runtime.Goexit.
var errGoexit = errors.New("pacer loop exited through runtime.Goexit")

// timerWaiter waits on a Go timer: the fallback, and the coarse part of a precise wait.
type timerWaiter struct {
	timer *time.Timer
}

func newTimerWaiter() *timerWaiter {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerWaiter{timer: t}
}

func (w *timerWaiter) Until(ctx context.Context, at time.Time) error {
	return w.sleep(ctx, time.Until(at))
}

func (w *timerWaiter) Precise() bool { return false }

// sleep waits d or until ctx ends.
func (w *timerWaiter) sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d <= 0 {
		return nil
	}
	w.timer.Reset(d)
	select {
	case <-w.timer.C:
		return nil
	case <-ctx.Done():
		w.timer.Stop()
		return ctx.Err()
	}
}

// sleepGo waits d on a Go timer of its own, or until ctx ends.
func sleepGo(ctx context.Context, d time.Duration) error {
	return newTimerWaiter().sleep(ctx, d)
}
