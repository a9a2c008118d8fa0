package fwsim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The model is exact: past the limit, the loop runs N of every S due ticks and delays stretch by S/N.
func TestCapacityModelArithmetic(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name           string
		limit, streams int64
		admitted       int     // of 300 due ticks
		slowdown       float64 //
	}{
		{"no limit", 0, 500, 300, 1},
		{"under", 20, 10, 300, 1},
		{"at the limit", 20, 20, 300, 1},
		{"1.5x over", 20, 30, 200, 1.5},
		{"3x over", 10, 30, 100, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := &capacityModel{limit: tc.limit}
			m.streams.Store(tc.streams)
			n := 0
			for range 300 {
				if m.admit() {
					n++
				}
			}
			require.Equal(t, tc.admitted, n)
			require.InDelta(t, tc.slowdown, m.slowdown(), 1e-9)
			require.Equal(t, time.Duration(float64(40*time.Millisecond)*tc.slowdown), m.stretch(40*time.Millisecond))
			require.Equal(t, TruthCapacity{Limit: tc.limit, Streams: tc.streams, Slowdown: tc.slowdown}, m.truth())
		})
	}
}
