package runstats

import (
	"sort"
	"sync"
	"time"
)

// Kind is a metric's type, as k6 has them.
type Kind int

// The metric kinds.
const (
	Counter Kind = iota
	Gauge
	Rate
	Trend
)

// Ledger holds the run's statistics, one series per metric name and tag-set key K (any comparable
// identity of a tag set, such as k6's interned *metrics.TagSet). Safe for concurrent use.
type Ledger[K comparable] struct {
	mu     sync.Mutex
	series map[seriesKey[K]]*Values
	first  time.Time
	last   time.Time
}

type seriesKey[K comparable] struct {
	metric string
	tags   K
}

// NewLedger returns an empty ledger.
func NewLedger[K comparable]() *Ledger[K] {
	return &Ledger[K]{series: make(map[seriesKey[K]]*Values)}
}

// Add records one sample of metric (of kind) with tag set tags, taken at t.
func (l *Ledger[K]) Add(metric string, kind Kind, tags K, v float64, t time.Time) {
	k := seriesKey[K]{metric: metric, tags: tags}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.series[k]
	if !ok {
		s = newValues(kind)
		l.series[k] = s
	}
	s.add(v)
	if !t.IsZero() {
		if l.first.IsZero() || t.Before(l.first) {
			l.first = t
		}
		if t.After(l.last) {
			l.last = t
		}
	}
}

// AddMany records several values of one series under one lock (a batch of ITL gaps).
func (l *Ledger[K]) AddMany(metric string, kind Kind, tags K, vs []float64, t time.Time) {
	if len(vs) == 0 {
		return
	}
	k := seriesKey[K]{metric: metric, tags: tags}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.series[k]
	if !ok {
		s = newValues(kind)
		l.series[k] = s
	}
	for _, v := range vs {
		s.add(v)
	}
	if !t.IsZero() && t.After(l.last) {
		l.last = t
	}
}

// Metric merges the series of metric (every tag set) into one Values; ok is false when the
// metric has no series.
func (l *Ledger[K]) Metric(metric string) (v *Values, ok bool) {
	return l.Select(metric, func(K) bool { return true })
}

// Names are the metrics with at least one series, sorted.
func (l *Ledger[K]) Names() []string {
	l.mu.Lock()
	seen := map[string]bool{}
	for k := range l.series {
		seen[k.metric] = true
	}
	l.mu.Unlock()
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Series is the number of series held: what the ledger's memory grows with.
func (l *Ledger[K]) Series() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.series)
}

// Span is the time of the first and the last sample recorded (zero when none).
func (l *Ledger[K]) Span() (first, last time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.first, l.last
}

// Select merges the series of metric whose tag set match accepts (a submetric such as
// checks{type:hz}); ok is false when none matches.
func (l *Ledger[K]) Select(metric string, match func(K) bool) (v *Values, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, s := range l.series {
		if k.metric != metric || !match(k.tags) {
			continue
		}
		if v == nil {
			v = newValues(s.Kind)
		}
		v.merge(s)
	}
	return v, v != nil
}
