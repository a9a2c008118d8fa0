package chatws

import (
	"context"
	"encoding/json"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

// sketchOf records gaps as a turn without a sink does (every gap kept in its buffer).
func sketchOf(gaps []time.Duration) *itlSketch {
	s := new(itlSketch)
	for i, d := range gaps {
		s.record(d, gaps[:i+1])
	}
	return s
}

// The summary's count, min, max and mean are exact; its percentiles are the exact nearest-rank
// gaps below ITLBatch gaps, and within 1% of them from there on, with the buckets borrowed only
// then.
func TestITLSketchAccuracy(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{1, 2, 3, 10, ITLBatch - 1, ITLBatch, 1000, 100000} {
		gaps := make([]time.Duration, n)
		for i := range gaps {
			// log-normal around 15 ms, with sub-µs bursts and multi-second stalls
			gaps[i] = time.Duration(math.Exp(r.NormFloat64()*3 + math.Log(15e6)))
		}
		s := sketchOf(gaps)
		require.Equal(t, n >= ITLBatch, s.counts != nil, "n=%d: buckets only from ITLBatch gaps on", n)
		assertSummaryOf(t, gaps, s.summary(gaps), "n=%d", n)
		s.release()
		require.Equal(t, ITLSummary{}, s.summary(nil))
		require.Nil(t, s.counts, "a released sketch holds no buckets")
	}
}

// assertSummaryOf checks got against the exact summary of gaps: count, min, max and mean equal,
// each percentile the nearest-rank gap (below ITLBatch gaps) or within 1% of it (at most
// sketchFloor when that gap is).
func assertSummaryOf(t *testing.T, gaps []time.Duration, got ITLSummary, msgAndArgs ...any) bool {
	t.Helper()
	n := len(gaps)
	if n == 0 {
		return assert.Equal(t, ITLSummary{}, got, msgAndArgs...)
	}
	sorted := slices.Sorted(slices.Values(gaps))
	var sum time.Duration
	for _, d := range gaps {
		sum += d
	}
	ok := assert.Equal(t, n, got.Count, msgAndArgs...) &&
		assert.Equal(t, sorted[0], got.Min, msgAndArgs...) &&
		assert.Equal(t, sorted[n-1], got.Max, msgAndArgs...) &&
		assert.Equal(t, sum/time.Duration(n), got.Mean, msgAndArgs...)
	for _, q := range []struct {
		p   float64
		got time.Duration
	}{{0.5, got.P50}, {0.9, got.P90}, {0.99, got.P99}} {
		want := sorted[int(q.p*float64(n-1))]
		switch {
		case n < ITLBatch:
			ok = assert.Equal(t, want, q.got, append([]any{"exact p%v"}, q.p)...) && ok
		case want <= sketchFloor:
			ok = assert.LessOrEqual(t, q.got, sketchFloor, append([]any{"p%v"}, q.p)...) && ok
		default:
			ok = assert.InEpsilon(t, float64(want), float64(q.got), 0.01, append([]any{"p%v"}, q.p)...) && ok
		}
	}
	return ok
}

// Sketches that borrow buckets from the pool on many goroutines at once, round after round,
// each summarise their own gaps only: buckets come back cleared and are never shared.
func TestPooledSketchesAreIndependent(t *testing.T) {
	t.Parallel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 7))
			for round := range 100 {
				gaps := make([]time.Duration, 1+r.IntN(3*ITLBatch)) // with and without buckets
				for i := range gaps {
					gaps[i] = time.Duration(r.Int64N(int64(time.Second)))
				}
				s := sketchOf(gaps)
				if !assertSummaryOf(t, gaps, s.summary(gaps), "goroutine %d round %d", g, round) {
					return
				}
				s.release()
			}
		})
	}
	wg.Wait()
}

// countServer answers a featherweight prompt "k" with k token frames and the complete frame, and
// a prompt "cut k" with k token frames and a dropped connection.
func countServer(t *testing.T) string {
	t.Helper()
	return wsServer(t, func(ws *websocket.Conn) {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ Content, MessageID string }
			_ = json.Unmarshal(b, &m)
			count, cut := strings.CutPrefix(m.Content, "cut ")
			k, _ := strconv.Atoi(count)
			for i := range k {
				_ = ws.WriteMessage(websocket.TextMessage, tokenFrame(m.MessageID, strconv.Itoa(i)))
			}
			if cut {
				_ = ws.NetConn().Close()
				return
			}
			_ = ws.WriteMessage(websocket.TextMessage, completeFrame)
		}
	})
}

// Consecutive turns of one Conn, and Conns running turns at the same time, each summarise their
// own gaps: as many as the server sent tokens less one, with the min, max, mean and percentiles
// of exactly the gaps in the result (no sink: all of them). Between turns a Conn holds no sketch,
// after a failed turn too.
func TestITLSummaryPerTurnAndConn(t *testing.T) {
	t.Parallel()
	url := countServer(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := range 6 {
		wg.Go(func() {
			c, _, err := Dial(ctx, url, Options{})
			if !assert.NoError(t, err) {
				return
			}
			defer func() { _ = c.Close() }()
			for turn, k := range []int{2 + i, 40 - i, 1, 7 * (i + 1)} {
				res := c.Turn(ctx, strconv.Itoa(k), TurnOptions{})
				if !assert.True(t, res.OK, "conn %d turn %d: %v", i, turn, res.Err) ||
					!assert.Equal(t, k, res.Chunks) || !assert.Len(t, res.ITLs, k-1) ||
					!assertSummaryOf(t, res.ITLs, res.ITL, "conn %d turn %d", i, turn) {
					return
				}
				assert.Nil(t, c.itlSketch.counts, "an idle Conn holds no sketch")
			}
			res := c.Turn(ctx, "cut "+strconv.Itoa(5+i), TurnOptions{})
			assert.Equal(t, failure.KindClosed, res.Err.Kind, "%v", res.Err)
			assert.Equal(t, 5+i, res.Chunks)
			assertSummaryOf(t, res.ITLs, res.ITL, "conn %d, failed turn", i)
			assert.Nil(t, c.itlSketch.counts, "a failed turn returns its sketch too")
		})
	}
	wg.Wait()
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
	assertSummaryOf(t, all, res.ITL)
	require.Nil(t, c.itlSketch.counts, "the long turn returned its buckets")

	// without a sink, every gap stays in the result (the Go API's default)
	res = c.Turn(context.Background(), "x", TurnOptions{MessageID: "long"})
	require.True(t, res.OK, "%v", res.Err)
	require.Len(t, res.ITLs, n-1)
	require.Equal(t, n-1, res.ITL.Count)
}

// A 1,000,000-token turn with an ITLSink adds a bounded amount of heap, far below a
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
