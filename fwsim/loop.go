package fwsim

import (
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// loop is the simulated "consciousness" loop: a time.Ticker at 1/Hz whose achieved
// frequency is measured over a sliding window of tick timestamps.
type loop struct {
	period time.Duration
	window time.Duration
	start  time.Time

	ticks atomic.Uint64
	dur   prometheus.Histogram // time spent in one tick's work
	work  func()               // the tick's work (sampling the chat counters)

	mu   sync.Mutex
	ring []time.Duration // tick times since start, ring buffer
	head int             // next write index
	n    int             // valid entries
}

func newLoop(hz float64, window time.Duration, dur prometheus.Histogram, work func()) *loop {
	capacity := int(math.Ceil(hz*window.Seconds()))*2 + 16
	return &loop{
		period: time.Duration(float64(time.Second) / hz),
		window: window,
		start:  time.Now(),
		dur:    dur,
		work:   work,
		ring:   make([]time.Duration, capacity),
	}
}

// run ticks until done is closed.
func (l *loop) run(done <-chan struct{}) {
	t := time.NewTicker(l.period)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			l.tick()
		}
	}
}

func (l *loop) tick() {
	t0 := time.Now()
	if l.work != nil {
		l.work()
	}
	l.mu.Lock()
	l.ring[l.head] = t0.Sub(l.start)
	l.head = (l.head + 1) % len(l.ring)
	if l.n < len(l.ring) {
		l.n++
	}
	l.mu.Unlock()
	l.ticks.Add(1)
	l.dur.Observe(time.Since(t0).Seconds())
}

// hz returns the achieved frequency over the last window: (ticks-1)/(newest-oldest) while the
// loop keeps time, or ticks/window once the newest tick is late (a stalled loop reads low).
// It is 0 before the second tick.
func (l *loop) hz() float64 {
	now := time.Since(l.start)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.n == 0 {
		return 0
	}
	from := now - l.window
	newestIdx := (l.head - 1 + len(l.ring)) % len(l.ring)
	newest := l.ring[newestIdx]
	oldest := newest
	count := 0
	for i := 0; i < l.n; i++ {
		ts := l.ring[(newestIdx-i+len(l.ring))%len(l.ring)]
		if ts <= from {
			break
		}
		oldest = ts
		count++
	}
	if now-newest > 2*l.period || (count < 2 && now >= l.window) {
		return float64(count) / l.window.Seconds()
	}
	if count < 2 || newest == oldest {
		return 0
	}
	return float64(count-1) / (newest - oldest).Seconds()
}
