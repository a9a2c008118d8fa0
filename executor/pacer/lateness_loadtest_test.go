//go:build loadtest && linux

package pacer

import (
	"context"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestLatenessOfPoissonDeadlines measures how late each Waiter wakes for deadlines with
// exponential gaps at 1,000 and 5,000 per second, and the process CPU time it costs per deadline.
// A benchmark, not a test: it asserts nothing about speed (docs/BENCHMARKS.md has the figures).
//
//	go test -tags loadtest -run TestLatenessOfPoissonDeadlines -v ./executor/pacer/
func TestLatenessOfPoissonDeadlines(t *testing.T) {
	const seconds = 5
	t.Logf("load average before: %s", loadAverage())
	t.Log("| rate/s | waiter | deadlines | late p50 | late p90 | late p99 | late max | CPU per deadline |")
	t.Log("|---:|---|---:|---:|---:|---:|---:|---:|")
	for _, rate := range []float64{1000, 5000} {
		for _, tc := range []struct {
			name string
			run  func(func(Waiter)) error
		}{{"timerfd, then clock_nanosleep (Run)", Run}, {"Go timer (RunWithTimer)", RunWithTimer}, {"SleepUntil", onThisGoroutine}} {
			rng := rand.New(rand.NewPCG(1, 2)) // #nosec G404 -- a reproducible schedule
			var late []time.Duration
			cpu0 := cpuTime(t)
			require.NoError(t, tc.run(func(w Waiter) {
				at := time.Now()
				for range int(rate * seconds) {
					at = at.Add(time.Duration(rng.ExpFloat64() / rate * float64(time.Second)))
					if w.Until(t.Context(), at) != nil {
						return
					}
					late = append(late, time.Since(at))
				}
			}))
			cpu := cpuTime(t) - cpu0
			slices.Sort(late)
			q := func(p float64) time.Duration {
				return late[min(len(late)-1, int(p*float64(len(late))))].Round(time.Microsecond)
			}
			t.Logf("| %.0f | %s | %d | %s | %s | %s | %s | %s |", rate, tc.name, len(late), q(0.5), q(0.9), q(0.99), q(1),
				(cpu / time.Duration(len(late))).Round(100*time.Nanosecond))
		}
	}
	t.Logf("load average after: %s", loadAverage())
}

// onThisGoroutine runs loop on the caller's goroutine with a Waiter that calls SleepUntil, the wait
// a VU makes for its arrival.
func onThisGoroutine(loop func(Waiter)) error {
	loop(sleepUntilWaiter{})
	return nil
}

type sleepUntilWaiter struct{}

func (sleepUntilWaiter) Until(ctx context.Context, at time.Time) error { return SleepUntil(ctx, at) }
func (sleepUntilWaiter) Precise() bool                                 { return true }

// cpuTime is the process's user and system CPU time so far.
func cpuTime(t *testing.T) time.Duration {
	t.Helper()
	var ru unix.Rusage
	require.NoError(t, unix.Getrusage(unix.RUSAGE_SELF, &ru))
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.Join(strings.Fields(string(b))[:3], " ")
}
