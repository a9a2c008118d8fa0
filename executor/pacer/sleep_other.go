//go:build !linux

package pacer

import (
	"context"
	"time"
)

// SleepUntil blocks the calling goroutine until at or until ctx ends, on a Go timer: this platform
// has no high-resolution sleep here (the fallback).
func SleepUntil(ctx context.Context, at time.Time) error {
	return sleepGo(ctx, time.Until(at))
}
