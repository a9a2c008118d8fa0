package chatws

import (
	"math"
	"slices"
	"sync"
	"time"
)

// ITLBatch is the most gaps a turn holds before it hands them to TurnOptions.ITLSink: with a
// sink, a turn's memory does not grow with the length of its reply.
const ITLBatch = 256

// ITLSummary summarises the gaps between consecutive token-bearing frames of one turn. Count,
// Min, Max and Mean are exact. P50, P90 and P99 are nearest-rank gaps: exact while the turn has
// fewer than ITLBatch gaps, and from then on from a log-bucketed sketch (within 1% of the true
// gap, clamped to [Min, Max]), so a summary of a million gaps takes the same few kilobytes as one
// of ten. The zero value (Count 0) means no gap.
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

// sketchPool lends the sketches' buckets (4 KiB each) to turns with ITLBatch gaps or more: such a
// turn takes one at its ITLBatch-th gap and gives it back, cleared, when its summary is made. Turns
// with fewer gaps (most replies) and idle connections hold none. rankPool lends the scratch space
// in which the percentiles of a turn with fewer than ITLBatch gaps are ranked exactly.
//
//nolint:gochecknoglobals // process-wide by design: every connection borrows from them
var (
	sketchPool = sync.Pool{New: func() any { return new([sketchBuckets]uint32) }}
	rankPool   = sync.Pool{New: func() any { return new([ITLBatch]time.Duration) }}
)

// itlSketch summarises one turn's gaps: count, sum, min and max of every gap, and, once the turn
// reaches ITLBatch gaps, buckets for its percentiles (before that, the turn's buffered gaps are
// all its gaps, and the percentiles are ranked from them).
type itlSketch struct {
	counts        *[sketchBuckets]uint32 // borrowed from sketchPool at the ITLBatch-th gap; nil before and after release
	n             int
	sum, min, max time.Duration
}

// record adds gap d; buffered are the gaps the turn holds, d last. At the turn's ITLBatch-th gap,
// when buffered are all its gaps, the buckets are borrowed and filled with them.
func (s *itlSketch) record(d time.Duration, buffered []time.Duration) {
	if s.n == 0 || d < s.min {
		s.min = d
	}
	if d > s.max {
		s.max = d
	}
	s.n++
	s.sum += d
	switch {
	case s.counts != nil:
		s.counts[bucketOf(d)]++
	case s.n == ITLBatch:
		s.counts = sketchPool.Get().(*[sketchBuckets]uint32) //nolint:forcetypeassert // the pool holds only these
		for _, g := range buffered {
			s.counts[bucketOf(g)]++
		}
	}
}

// release returns the buckets to sketchPool (cleared) and empties the sketch.
func (s *itlSketch) release() {
	if s.counts != nil {
		clear(s.counts[:])
		sketchPool.Put(s.counts)
	}
	*s = itlSketch{}
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

// quantile is the gap of nearest rank p*(n-1) by the buckets, clamped to [min, max].
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

// summary is the summary of the turn's gaps; buffered are the gaps the turn holds (all of them
// while it has fewer than ITLBatch).
func (s *itlSketch) summary(buffered []time.Duration) ITLSummary {
	if s.n == 0 {
		return ITLSummary{}
	}
	out := ITLSummary{Count: s.n, Min: s.min, Max: s.max, Mean: s.sum / time.Duration(s.n)}
	if s.counts != nil {
		out.P50, out.P90, out.P99 = s.quantile(0.5), s.quantile(0.9), s.quantile(0.99)
		return out
	}
	scratch := rankPool.Get().(*[ITLBatch]time.Duration) //nolint:forcetypeassert // the pool holds only these
	sorted := scratch[:copy(scratch[:], buffered)]
	slices.Sort(sorted)
	rank := func(p float64) time.Duration { return sorted[int(p*float64(len(sorted)-1))] }
	out.P50, out.P90, out.P99 = rank(0.5), rank(0.9), rank(0.99)
	rankPool.Put(scratch)
	return out
}
