package executor

import (
	"fmt"
	"math"
	"sync/atomic"
	"time"
)

// progress is the scenario's progress: elapsed time over the duration, VUs busy over VUs activated,
// arrivals started and dropped. It is the scenario's lib.ScenarioState.ProgressFn (the script's
// exec.scenario.progress). k6's terminal progress bar shows the scenario's name only: k6 v1.8.1
// gives an executor outside its own module no public way to set the bar (docs/executors.md,
// "Progress bar").
type progress struct {
	start    time.Time
	duration time.Duration
	pool     *vuPool
	started  atomic.Int64
	dropped  atomic.Int64
	mean     float64 // mean arrivals per second
}

// snapshot is the k6 progress function: the fraction done and, as k6's own executors give, the
// texts a progress bar shows right of the bar (three columns at most).
func (p *progress) snapshot() (float64, []string) {
	spent := time.Since(p.start)
	frac := 1.0
	if spent < p.duration {
		frac = float64(spent) / float64(p.duration)
	}
	right := []string{
		fmt.Sprintf("%d/%d VUs", p.pool.running.Load(), p.pool.activated.Load()),
		fmt.Sprintf("%s/%s", min(spent, p.duration).Truncate(100*time.Millisecond), p.duration),
		fmt.Sprintf("%.2f iters/s mean, %d started, %d dropped", p.mean, p.started.Load(), p.dropped.Load()),
	}
	return math.Min(frac, 1), right
}
