package chatws

import (
	"math"
	"sync"
	"time"
)

// ITLBatch is the most gaps a turn holds before it hands them to TurnOptions.ITLSink: with a
// sink, a turn's memory does not grow with the length of its reply.
const ITLBatch = 256

// ITLSummary summarises the gaps between consecutive token-bearing frames of one turn. Count,
// Min, Max and Mean are exact; P50, P90 and P99 come from a log-bucketed sketch (nearest rank,
// within 1% of the true gap, clamped to [Min, Max]), so a summary of a million gaps takes
// the same few kilobytes as one of ten. The zero value (Count 0) means no gap.
type ITLSummary struct {
	Count          int
	Min, Max, Mean time.Duration
	P50, P90, P99  time.Duration
}

// The sketch's buckets: bucket 0 holds gaps up to sketchFloor; bucket i >= 1 holds gaps in
// (sketchFloor*γ^(i-1), sketchFloor*γ^i]; the last bucket also holds everything longer.
const (
	sketchGamma   = 1.02 // bucket width: a relative error of (γ-1)/(γ+1) < 1%
	sketchFloor   = time.Microsecond
	sketchCeiling = 1000 * time.Second
)

// sketchLogGamma is math.Log(sketchGamma), and sketchBuckets is
// 2 + ceil(log(sketchCeiling/sketchFloor) / sketchLogGamma): constants (TestSketchConstants checks them).
const (
	sketchLogGamma = 0.01980262729617973
	sketchBuckets  = 1049
)

// sketchPool lends the sketches' buckets (4 KiB each) to turns: a turn takes one at its first
// gap and gives it back, cleared, when its summary is made, so an idle connection holds none.
var sketchPool = sync.Pool{New: func() any { return new([sketchBuckets]uint32) }}

// itlSketch accumulates one turn's gaps in constant memory. Its buckets are borrowed from
// sketchPool at the first gap and returned by release.
type itlSketch struct {
	counts        *[sketchBuckets]uint32 // nil until the first gap and after release
	n             int
	sum, min, max time.Duration
}

// release returns the buckets to sketchPool (cleared) and empties the sketch; the sketch must
// not be read after it until the next add.
func (s *itlSketch) release() {
	if s.counts != nil {
		clear(s.counts[:])
		sketchPool.Put(s.counts)
	}
	*s = itlSketch{}
}

func (s *itlSketch) add(d time.Duration) {
	if s.counts == nil {
		s.counts = sketchPool.Get().(*[sketchBuckets]uint32) //nolint:forcetypeassert // the pool holds only these
	}
	if s.n == 0 || d < s.min {
		s.min = d
	}
	if d > s.max {
		s.max = d
	}
	s.n++
	s.sum += d
	s.counts[bucketOf(d)]++
}

func bucketOf(d time.Duration) int {
	if d <= sketchFloor {
		return 0
	}
	i := 1 + int(math.Log(float64(d)/float64(sketchFloor))/sketchLogGamma)
	return min(i, sketchBuckets-1)
}

// bucketValue is the estimate of a gap in bucket i: the point of least relative error.
func bucketValue(i int) time.Duration {
	if i == 0 {
		return sketchFloor / 2
	}
	upper := float64(sketchFloor) * math.Pow(sketchGamma, float64(i))
	return time.Duration(2 * upper / (1 + sketchGamma))
}

// quantile is the gap of nearest rank p*(n-1), clamped to [min, max].
func (s *itlSketch) quantile(p float64) time.Duration {
	rank := uint64(p * float64(s.n-1))
	var seen uint64
	for i, c := range s.counts {
		seen += uint64(c)
		if seen > rank {
			return min(max(bucketValue(i), s.min), s.max)
		}
	}
	return s.max
}

func (s *itlSketch) summary() ITLSummary {
	if s.n == 0 {
		return ITLSummary{}
	}
	return ITLSummary{
		Count: s.n, Min: s.min, Max: s.max, Mean: s.sum / time.Duration(s.n),
		P50: s.quantile(0.5), P90: s.quantile(0.9), P99: s.quantile(0.99),
	}
}
