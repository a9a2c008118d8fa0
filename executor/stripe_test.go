package executor

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"go.k6.io/k6/lib"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
)

func TestExecutionSegmentsPartitionTheGlobalArrivalSequenceExactly(t *testing.T) {
	t.Parallel()
	profile, err := arrival.ConstantRate(700, 3*time.Second)
	require.NoError(t, err)
	opts := arrival.Options{Profile: profile, Burstiness: 0.5, Seed: 2024}
	global, err := arrival.All(opts)
	require.NoError(t, err)

	for _, tc := range []struct {
		sequence string
		maxVUs   int64
	}{
		{"0,1/2,1", 10},
		{"0,1/3,2/3,1", 10},
		{"0,1/4,1/2,1", 7},
		{"0,1/10,1", 3}, // the 1/10 segment gets no VU: the other one starts every arrival
		{"0,1", 1},
	} {
		seq, err := lib.NewExecutionSegmentSequenceFromString(tc.sequence)
		require.NoError(t, err)
		var union []arrival.Arrival
		for _, seg := range seq {
			et, err := lib.NewExecutionTuple(seg, &seq)
			require.NoError(t, err)
			stripe, err := et.GetNewExecutionTupleFromValue(tc.maxVUs)
			if err != nil { // no VU for this segment: k6 does not run it (HasWork is false)
				require.Zero(t, et.ScaleInt64(tc.maxVUs), tc.sequence)
				continue
			}
			q, err := arrival.NewSequence(opts)
			require.NoError(t, err)
			s := newStripedArrivals(q, stripe)
			local := uint64(0)
			for a, idx, ok := s.next(); ok; a, idx, ok = s.next() {
				require.Equal(t, uint64(a.Index), idx.global)
				require.Equal(t, local, idx.local, "local indexes count the instance's own arrivals")
				require.Equal(t, global[a.Index], a, "an instance's arrival is the global one with its index")
				local++
				union = append(union, a)
			}
		}
		slices.SortFunc(union, func(a, b arrival.Arrival) int { return int(a.Index - b.Index) })
		require.Equal(t, global, union, "sequence %s: instances together start each arrival once", tc.sequence)
	}
}
