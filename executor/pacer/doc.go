// Package pacer waits for deadlines precisely enough to start open-model arrivals on time.
//
// A Go time.Timer in a mostly idle process is woken through the network poller, whose wait has
// millisecond granularity: measured on a 2-core Linux VM it fired late by p50 0.59 ms and p99
// 1.12 ms, so arrivals less than about a millisecond apart left together. A thread that sleeps
// in clock_nanosleep with a timer slack of 1 ns wakes within tens of microseconds instead.
//
// A precise wait on Linux has two parts:
//
//   - until 100 µs before the deadline, a read of a timerfd through the network poller: the
//     kernel's high-resolution timer wakes it, and the goroutine is parked meanwhile, holding
//     no thread and no Go P. A context cancellation ends this part at once;
//   - the rest, clock_nanosleep on the goroutine's thread, locked to it and with a timer slack
//     of 1 ns for that sleep only (the slack is restored and the thread unlocked after).
//
// Why not clock_nanosleep for the whole wait: a goroutine in a system call keeps its P until Go's
// monitor takes it back, and a goroutine that wakes to find its P gone waits in the global run
// queue, so in a k6 run at 1,000 arrivals/s such waits ended up to several milliseconds late
// (docs/BENCHMARKS.md). The timerfd keeps the system call to the wait's last 100 µs.
//
// [Run] starts the loop that waits on a new goroutine and hands it a [Waiter]: the precise wait
// on Linux with a timerfd of its own; elsewhere, and with [RunWithTimer], a Go timer (the
// fallback). If the kernel refuses a timerfd (a seccomp profile), the first part is a Go timer
// until [CoarseMargin] before the deadline.
//
// [SleepUntil] is the same precise wait for any goroutine, with a timerfd from a small shared
// pool: the executors hand each arrival to its VU [CoarseMargin] ahead, and the VU's goroutine
// sleeps to the arrival's time itself, so the iteration starts on the thread that woke, with no
// hand-off in between.
//
// A wait never ends before its deadline. A panic in the loop is recovered and returned by Run as
// a [*PanicError] carrying the stack, so the caller reports it; it is never swallowed.
package pacer
