package chatws

import (
	"context"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
)

// The sketch's percentiles are within 1% of the exact nearest-rank gap; count, min, max and mean
// are exact.
func TestITLSketchAccuracy(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, 1000, 100000} {
		var s itlSketch
		gaps := make([]time.Duration, n)
		var sum time.Duration
		for i := range gaps {
			// log-normal around 15 ms, with sub-µs bursts and multi-second stalls
			gaps[i] = time.Duration(math.Exp(r.NormFloat64()*3 + math.Log(15e6)))
			sum += gaps[i]
			s.add(gaps[i])
		}
		got := s.summary()
		slices.Sort(gaps)
		require.Equal(t, n, got.Count)
		require.Equal(t, gaps[0], got.Min)
		require.Equal(t, gaps[n-1], got.Max)
		require.Equal(t, sum/time.Duration(n), got.Mean)
		for _, q := range []struct {
			p   float64
			got time.Duration
		}{{0.5, got.P50}, {0.9, got.P90}, {0.99, got.P99}} {
			want := gaps[int(q.p*float64(n-1))]
			if want <= sketchFloor {
				require.LessOrEqual(t, q.got, sketchFloor, "n=%d p%v", n, q.p)
				continue
			}
			require.InEpsilon(t, float64(want), float64(q.got), 0.01, "n=%d p%v", n, q.p)
		}
		s.reset()
		require.Equal(t, ITLSummary{}, s.summary())
	}
}

// longServer answers every prompt with n featherweight token frames (pre-encoded, no delay) and
// the complete frame.
func longServer(t testing.TB, n int) string {
	tok := []byte(`{"type":"stream_event","event":{"type":"token","data":"t","messageId":"long"}}`)
	return wsServer(t, func(ws *websocket.Conn) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			for range n {
				if ws.WriteMessage(websocket.TextMessage, tok) != nil {
					return
				}
			}
			_ = ws.WriteMessage(websocket.TextMessage, completeFrame)
		}
	})
}

// With an ITLSink a turn hands its gaps over in batches of ITLBatch and keeps fewer than ITLBatch
// itself; its summary covers every gap.
func TestITLSinkBatches(t *testing.T) {
	t.Parallel()
	const n = 1000
	c := dial(t, longServer(t, n), Options{})
	var batches []int
	var sunk []time.Duration
	res := c.Turn(context.Background(), "x", TurnOptions{MessageID: "long", ITLSink: func(gaps []time.Duration) {
		batches = append(batches, len(gaps))
		sunk = append(sunk, gaps...)
	}})
	require.True(t, res.OK, "%v", res.Err)
	require.Equal(t, []int{ITLBatch, ITLBatch, ITLBatch}, batches)
	require.Len(t, res.ITLs, n-1-3*ITLBatch)
	require.LessOrEqual(t, cap(res.ITLs), ITLBatch, "the turn's gap buffer stays bounded")
	all := slices.Concat(sunk, res.ITLs)
	require.Equal(t, n-1, res.ITL.Count)
	require.Equal(t, slices.Min(all), res.ITL.Min)
	require.Equal(t, slices.Max(all), res.ITL.Max)

	// without a sink, every gap stays in the result (the Go API's default)
	res = c.Turn(context.Background(), "x", TurnOptions{MessageID: "long"})
	require.True(t, res.OK, "%v", res.Err)
	require.Len(t, res.ITLs, n-1)
	require.Equal(t, n-1, res.ITL.Count)
}

// A 1,000,000-token turn with an ITLSink adds a bounded amount of heap, far below issue 10's
// 40 MB target: peak HeapInuse (sampled at every batch) minus the level before the turn. The old
// code kept every gap (8 MB live, 16 MB while its slice grew) and the binding then made one k6
// sample per gap at once (~110 MB peak RSS in k6).
func TestLongTurnMemoryBounded(t *testing.T) {
	n := 1_000_000
	if raceEnabled || testing.Short() {
		n = 100_000 // the race detector makes 1M frames take about a minute
	}
	c := dial(t, longServer(t, n), Options{})
	var ms runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&ms)
	base, peak := ms.HeapInuse, ms.HeapInuse
	batches := 0
	res := c.Turn(context.Background(), "x", TurnOptions{MessageID: "long", Timeouts: Timeouts{Total: 5 * time.Minute}, ITLSink: func([]time.Duration) {
		if batches++; batches%16 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}})
	require.True(t, res.OK, "%v", res.Err)
	require.Equal(t, n, res.Chunks)
	growth := int64(peak) - int64(base)
	t.Logf("%s tokens: peak HeapInuse growth %.1f MB (base %.1f MB)", strconv.Itoa(n), float64(growth)/(1<<20), float64(base)/(1<<20))
	require.Less(t, growth, int64(8<<20), "heap growth of one long turn")
}

// The sketch's constants are the values their definitions compute.
func TestSketchConstants(t *testing.T) {
	t.Parallel()
	require.InDelta(t, math.Log(sketchGamma), sketchLogGamma, 1e-15)
	want := 2 + int(math.Ceil(math.Log(float64(sketchCeiling/sketchFloor))/math.Log(sketchGamma)))
	require.Equal(t, want, sketchBuckets)
}
