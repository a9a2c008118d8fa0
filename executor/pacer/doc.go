// Package pacer waits for deadlines precisely enough to start open-model arrivals on time.
//
// A Go time.Timer in a mostly idle process is woken through the network poller, whose wait has
// millisecond granularity: measured on a 2-core Linux VM it fired late by p50 0.59 ms and p99
// 1.12 ms, so arrivals less than about a millisecond apart left together. A thread that sleeps
// in clock_nanosleep with a timer slack of 1 ns wakes within tens of microseconds instead.
//
// [Run] starts the loop that waits on a new goroutine and hands it a [Waiter]:
//
//   - on Linux the goroutine is locked to its OS thread (runtime.LockOSThread), the thread's timer
//     slack is set to 1 ns (prctl PR_SET_TIMERSLACK), and a wait sleeps on a Go timer until
//     [CoarseMargin] before its deadline (so that a context cancellation ends it at once), then in
//     clock_nanosleep for the rest. The thread sleeps in the kernel: no core is spun. When the
//     loop returns, the goroutine exits still locked, so Go discards the thread and its changed
//     slack never reaches other goroutines;
//   - elsewhere, and with [RunWithTimer], a wait is a Go timer (the fallback).
//
// [SleepUntil] is the same precise wait for any goroutine: the executors hand each arrival to its
// VU [CoarseMargin] ahead, and the VU's goroutine sleeps to the arrival's time itself, locked to
// its thread with a 1 ns timer slack for the sleep only (the slack is restored and the thread
// unlocked after), so the iteration starts on the thread that woke, with no hand-off in between.
//
// A wait never ends before its deadline. A panic in the loop is recovered and returned by Run as
// a [*PanicError] carrying the stack, so the caller reports it; it is never swallowed.
package pacer
