package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
)

// writeTrace writes a timestamps trace of the given offsets in seconds and returns its path.
func writeTrace(t *testing.T, seconds ...float64) string {
	t.Helper()
	var b strings.Builder
	for _, s := range seconds {
		fmt.Fprintf(&b, "%g\n", s)
	}
	path := filepath.Join(t.TempDir(), "trace.txt")
	require.NoError(t, os.WriteFile(path, []byte(b.String()), 0o600))
	return path
}

// evenTrace is n rows every gap seconds, from 100 s (offsets count from the first row).
func evenTrace(t *testing.T, n int, gap float64) string {
	t.Helper()
	s := make([]float64, n)
	for i := range s {
		s[i] = 100 + float64(i)*gap
	}
	return writeTrace(t, s...)
}

func traceConfig(t *testing.T, format string, args ...any) lib.ExecutorConfig {
	t.Helper()
	return parse(t, TraceType, fmt.Sprintf(format, args...))
}

func TestTraceConfigDefaultsAndRequirementsFollowTheTrace(t *testing.T) {
	t.Parallel()
	path := writeTrace(t, 10, 10.5, 12, 13.2505)
	c := traceConfig(t, `{"trace":%q,"preAllocatedVUs":2,"maxVUs":5,"gracefulStop":"1s"}`, path)
	require.Empty(t, c.Validate())
	tc, ok := c.(*TraceConfig)
	require.True(t, ok)
	require.InDelta(t, 1.0, tc.Speed.Float64, 0)
	require.Equal(t, []lib.ExecutionStep{
		{TimeOffset: 0, PlannedVUs: 2, MaxUnplannedVUs: 3},
		{TimeOffset: 3251*time.Millisecond + time.Second}, // the last row at 3.2505 s, rounded up to the ms
	}, c.GetExecutionRequirements(fullTuple(t)))
	require.Contains(t, c.GetDescription(fullTuple(t)), "Trace arrivals: 4 requests of "+path+" (timestamps) over 3.251s at speed 1")

	fast := traceConfig(t, `{"trace":%q,"format":"timestamps","speed":2,"preAllocatedVUs":1,"gracefulStop":"0s"}`, path)
	require.Empty(t, fast.Validate())
	require.Equal(t, 1626*time.Millisecond, fast.GetExecutionRequirements(fullTuple(t))[1].TimeOffset, "speed 2 halves the offsets")

	single := traceConfig(t, `{"trace":%q,"preAllocatedVUs":1,"gracefulStop":"0s"}`, writeTrace(t, 5))
	require.Empty(t, single.Validate())
	require.Equal(t, time.Millisecond, single.GetExecutionRequirements(fullTuple(t))[1].TimeOffset)
}

func TestBadTraceOptionsAreConfigErrorsNamingTheOptionOrTheLine(t *testing.T) {
	t.Parallel()
	good := writeTrace(t, 1, 2)
	backwards := writeTrace(t, 1, 3, 2)
	malformed := filepath.Join(t.TempDir(), "bad.csv")
	require.NoError(t, os.WriteFile(malformed, []byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,2\n2023-11-16 18:15:47,lots,2\n"), 0o600))
	for _, tc := range []struct{ name, json, mention string }{
		{"speed zero", fmt.Sprintf(`{"trace":%q,"speed":0,"preAllocatedVUs":1}`, good), "speed must be a number more than 0, got 0"},
		{"speed negative", fmt.Sprintf(`{"trace":%q,"speed":-2,"preAllocatedVUs":1}`, good), "speed must be"},
		{"unknown format", fmt.Sprintf(`{"trace":%q,"format":"sharegpt","preAllocatedVUs":1}`, good), `format: unknown trace format "sharegpt"`},
		{"missing file", `{"trace":"no/such/trace.csv","preAllocatedVUs":1}`, "trace: open no/such/trace.csv"},
		{"no trace", `{"preAllocatedVUs":1}`, "trace is required"},
		{"malformed row", fmt.Sprintf(`{"trace":%q,"preAllocatedVUs":1}`, malformed), malformed + `:3: ContextTokens "lots"`},
		{"backwards", fmt.Sprintf(`{"trace":%q,"preAllocatedVUs":1}`, backwards), backwards + ":3: timestamp goes back in time"},
		{"unknown key", fmt.Sprintf(`{"trace":%q,"preAllocatedVUs":1,"rate":3}`, good), `unknown field "rate"`},
		{"no VUs", fmt.Sprintf(`{"trace":%q}`, good), "preAllocatedVUs is required"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			errs := parse(t, TraceType, tc.json).Validate()
			require.NotEmpty(t, errs)
			joined := ""
			for _, err := range errs {
				require.ErrorIs(t, err, ErrInvalidOption)
				joined += err.Error() + "; "
			}
			require.Contains(t, joined, tc.mention)
		})
	}
}

func TestTraceRunStartsEveryRowOnceWithItsIndex(t *testing.T) {
	t.Parallel()
	c := traceConfig(t, `{"trace":%q,"speed":4,"preAllocatedVUs":10,"gracefulStop":"1s"}`, evenTrace(t, 120, 0.01))
	h, ex := newHarness(t, c, nil)
	start := time.Now()
	require.NoError(t, h.run(t, ex))
	seen := map[uint64]bool{}
	for k, i := range h.ran.indexes {
		require.False(t, seen[i], "row %d started twice", i)
		require.Less(t, i, uint64(120))
		seen[i] = true
		require.GreaterOrEqual(t, h.ran.times[k].Sub(start), time.Duration(i)*10*time.Millisecond/4,
			"row %d starts no earlier than its offset at speed 4", i)
	}
	// Ten VUs with instant iterations take every row; only a stall of the machine drops one.
	require.Equal(t, 120, len(h.ran.indexes)+int(h.dropped.Load()), "each row started or counted as dropped")
	require.GreaterOrEqual(t, len(h.ran.indexes), 60, "most rows start")
}

func TestTraceRowsWithoutAFreeVUAreDroppedAndCounted(t *testing.T) {
	t.Parallel()
	// 40 rows at one instant, then nothing for a while: one VU takes one of them.
	s := make([]float64, 41)
	s[40] = 0.2
	c := traceConfig(t, `{"trace":%q,"preAllocatedVUs":1,"gracefulStop":"1s"}`, writeTrace(t, s...))
	h, ex := newHarness(t, c, func(ctx context.Context) error {
		select {
		case <-time.After(50 * time.Millisecond):
		case <-ctx.Done():
		}
		return nil
	})
	require.NoError(t, h.run(t, ex))
	require.Equal(t, 41, len(h.ran.indexes)+int(h.dropped.Load()), "every row started or counted as dropped")
	require.Positive(t, h.dropped.Load())
	require.Contains(t, h.ran.indexes, uint64(40), "the VU is free again for the last row")
}

func TestExecutionSegmentsSplitTheTraceRowsExactly(t *testing.T) {
	t.Parallel()
	path := evenTrace(t, 97, 0.001)
	c := traceConfig(t, `{"trace":%q,"preAllocatedVUs":6}`, path)
	require.Empty(t, c.Validate())
	tc, ok := c.(*TraceConfig)
	require.True(t, ok)
	tr, err := tc.Load()
	require.NoError(t, err)
	seq, err := lib.NewExecutionSegmentSequenceFromString("0,1/3,2/3,1")
	require.NoError(t, err)
	var union []uint64
	for _, seg := range seq {
		et, err := lib.NewExecutionTuple(seg, &seq)
		require.NoError(t, err)
		stripe, err := et.GetNewExecutionTupleFromValue(6)
		require.NoError(t, err)
		src, err := traceSchedule{trace: tr, speed: 1}.arrivals(nil)
		require.NoError(t, err)
		s := newStripedArrivals(src, stripe)
		for a, idx, ok := s.next(); ok; a, idx, ok = s.next() {
			require.Equal(t, tr.Rows[a.Index].At, a.At)
			union = append(union, idx.global)
		}
	}
	require.Len(t, union, 97)
	slices.Sort(union)
	for i, g := range union {
		require.Equal(t, uint64(i), g, "row %d started by exactly one instance", i)
	}
}

func TestTraceIterationsThatOutlastGracefulStopAreInterrupted(t *testing.T) {
	t.Parallel()
	c := traceConfig(t, `{"trace":%q,"preAllocatedVUs":5,"gracefulStop":"100ms"}`, writeTrace(t, 0, 0.05, 0.1))
	h, ex := newHarness(t, c, func(ctx context.Context) error {
		<-ctx.Done() // never ends by itself
		return ctx.Err()
	})
	require.NoError(t, h.run(t, ex)) // returns only because gracefulStop interrupts the iterations
	require.Zero(t, h.es.GetFullIterationCount())
	require.Equal(t, uint64(len(h.ran.indexes)), h.es.GetPartialIterationCount())
	require.Equal(t, 3, len(h.ran.indexes)+int(h.dropped.Load()))
}

func TestCancellingTheRunEndsTheWaitForTheNextRow(t *testing.T) {
	t.Parallel()
	// The second row is an hour away: only the run's context can end the wait for it.
	c := traceConfig(t, `{"trace":%q,"preAllocatedVUs":1,"gracefulStop":"0s"}`, writeTrace(t, 0, 3600))
	h, ex := newHarness(t, c, nil)
	ctx, cancel := context.WithCancel(t.Context())
	out := make(chan metrics.SampleContainer, 10)
	done := make(chan error, 1)
	go func() { done <- ex.Run(ctx, out) }()
	require.Eventually(t, func() bool { return h.es.GetFullIterationCount() == 1 }, time.Minute, time.Millisecond,
		"the first row starts")
	cancel()
	select {
	case err := <-done:
		require.NoError(t, err, "a cancelled run is not an error of the executor")
	case <-time.After(time.Minute): // a liveness bound, not a speed claim
		t.Fatal("Run did not return after its context was cancelled")
	}
	require.Equal(t, []uint64{0}, h.ran.indexes)
}
