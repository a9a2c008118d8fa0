package fwsim

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// loop is the simulated "consciousness" loop: a fixed-timestep loop woken by a time.Ticker at
// 1/Hz. Tick k is due at start + k/Hz. A wake-up that finds several ticks due (the goroutine was
// descheduled) runs them back to back, as long as the oldest is at most catchUp late; ticks older
// than that are skipped and counted as missed. The achieved frequency is the number of ticks run
// whose due time falls in the last window, divided by the window: it reads Hz on a healthy loop
// and drops when ticks are missed, when the loop stalls, or when Hz itself is lowered.
type loop struct {
	period  time.Duration
	window  time.Duration
	catchUp time.Duration
	start   time.Time

	ticks  atomic.Uint64
	missed atomic.Uint64
	dur    prometheus.Histogram // time spent in one tick's work
	late   prometheus.Histogram // how late each tick ran after its due time
	work   func()               // the tick's work
	admit  func() bool          // nil, or false to skip a due tick (the capacity model)

	mu   sync.Mutex
	ring []time.Duration // due times (since start) of the ticks run, ring buffer
	head int             // next write index
	n    int             // valid entries
}

func newLoop(hz float64, window, catchUp time.Duration, work func()) *loop {
	capacity := int(math.Ceil(hz*window.Seconds()))*2 + 16
	return &loop{
		period:  time.Duration(float64(time.Second) / hz),
		window:  window,
		catchUp: catchUp,
		start:   time.Now(),
		work:    work,
		ring:    make([]time.Duration, capacity),
	}
}

// run ticks until done is closed.
func (l *loop) run(done <-chan struct{}) {
	t := time.NewTicker(l.period)
	defer t.Stop()
	l.mu.Lock()
	l.start = time.Now()
	l.n, l.head = 0, 0
	l.mu.Unlock()
	next := l.period // due time of the next tick, since start
	for {
		select {
		case <-done:
			return
		case <-t.C:
		}
		now := time.Since(l.start)
		for next <= now+l.period/2 {
			// The latest due tick always runs; older ones only within the catch-up bound.
			if lag := now - next; lag >= l.period && lag > l.catchUp {
				l.missed.Add(1)
				next += l.period
				continue
			}
			if l.admit != nil && !l.admit() {
				l.missed.Add(1)
				next += l.period
				continue
			}
			l.tick(next, now)
			next += l.period
		}
	}
}

func (l *loop) tick(due, now time.Duration) {
	t0 := time.Now()
	if l.work != nil {
		l.work()
	}
	l.mu.Lock()
	l.ring[l.head] = due
	l.head = (l.head + 1) % len(l.ring)
	if l.n < len(l.ring) {
		l.n++
	}
	l.mu.Unlock()
	l.ticks.Add(1)
	if l.dur != nil {
		l.dur.Observe(time.Since(t0).Seconds())
	}
	if l.late != nil {
		l.late.Observe(max(now-due, 0).Seconds())
	}
}

// hz returns the achieved frequency: ticks run with a due time in the last window, over the window
// (over the elapsed time during the first window). It is 0 before the first tick.
func (l *loop) hz() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Since(l.start)
	if l.n == 0 || now <= 0 {
		return 0
	}
	from := now - l.window
	count := 0
	for i := 1; i <= l.n; i++ {
		if l.ring[(l.head-i+len(l.ring))%len(l.ring)] <= from {
			break
		}
		count++
	}
	span := min(now, l.window)
	return float64(count) / span.Seconds()
}
