//go:build !linux

package pacer

// newPreciseWaiter is the fallback where the platform has no high-resolution sleep with a
// settable timer slack: a Go timer.
func newPreciseWaiter() Waiter { return newTimerWaiter() }
