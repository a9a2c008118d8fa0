package executor

import (
	"fmt"
	"math"
	"reflect"
	"sync/atomic"
	"time"
	"unsafe"
)

// Progress-bar states, shown left of the bar (the symbols k6 shows for its own executors).
const (
	barStopping    = '↓'
	barInterrupted = '✗'
	barDone        = '✓'
)

// progress renders the scenario's progress: elapsed time over the duration, VUs busy over VUs
// activated, arrivals started and dropped.
type progress struct {
	start    time.Time
	duration time.Duration
	pool     *vuPool
	started  atomic.Int64
	dropped  atomic.Int64
	mean     float64 // mean arrivals per second
}

// snapshot is the k6 progress function: the fraction done and the texts right of the bar.
func (p *progress) snapshot() (float64, []string) {
	spent := time.Since(p.start)
	frac := 1.0
	if spent < p.duration {
		frac = float64(spent) / float64(p.duration)
	}
	right := []string{
		fmt.Sprintf("%d/%d VUs", p.pool.running.Load(), p.pool.activated.Load()),
		fmt.Sprintf("%s/%s", min(spent, p.duration).Truncate(100*time.Millisecond), p.duration),
		// k6 renders at most three columns right of the bar.
		fmt.Sprintf("%.2f iters/s mean, %d started, %d dropped", p.mean, p.started.Load(), p.dropped.Load()),
	}
	return math.Min(frac, 1), right
}

// modifyBar sets the progress function and, when status is not 0, the status of a k6 progress bar
// through its exported Modify method. k6 v1.8.1 keeps the constructors of Modify's options in an
// internal package, so the option is built here: O and B are inferred from Modify's signature and
// the option sets the bar's fields by name under the bar's own lock. Should a future k6 rename
// them, the bar just keeps its name and last state; nothing fails.
func modifyBar[B any, O ~func(*B)](modify func(...O), fn func() (float64, []string), status rune) {
	modify(O(func(bar *B) {
		v := reflect.ValueOf(bar).Elem()
		if fn != nil {
			if f := settable(v, "progress"); f.IsValid() && reflect.TypeOf(fn).AssignableTo(f.Type()) {
				f.Set(reflect.ValueOf(fn))
			}
		}
		if status != 0 {
			if f := settable(v, "status"); f.IsValid() && f.Kind() == reflect.Int32 {
				f.SetInt(int64(status))
			}
		}
	}))
}

// settable returns the named field of struct v as a settable value, or the zero Value.
func settable(v reflect.Value, name string) reflect.Value {
	f := v.FieldByName(name)
	if !f.IsValid() || !f.CanAddr() {
		return reflect.Value{}
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem() // #nosec G103 -- see modifyBar
}
