//go:build e2e

package e2e

import (
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// ksCriticalAlpha01 is the one-sample Kolmogorov-Smirnov critical value at alpha = 0.01, times
// sqrt(n) (large-sample approximation).
const ksCriticalAlpha01 = 1.628

// sessionsRun runs sessions.js with env (no samples written: they would load k6 at 1,000/s) and
// returns the dropped iterations its summary printed.
func sessionsRun(t *testing.T, env map[string]string) float64 {
	t.Helper()
	run := StartK6(t, K6Options{Script: "testdata/arrival/sessions.js", Env: env, NoSamples: true}).Wait(t)
	require.Equal(t, 0, run.ExitCode, run.Stderr)
	_, after, ok := strings.Cut(run.Stdout, "dropped=")
	require.True(t, ok, run.Stdout)
	dropped, err := strconv.ParseFloat(strings.TrimSpace(after), 64)
	require.NoError(t, err)
	return dropped
}

// serverArrivalGaps runs sessions.js (one WebSocket session of one turn per arrival) against fwsim
// and returns the gaps between the prompts as fwsim read them (its own turn log, not the
// executor's schedule), in seconds, and the dropped iterations.
func serverArrivalGaps(t *testing.T, env map[string]string) ([]float64, float64) {
	t.Helper()
	f := StartFwsim(t, "-record-turns", "20000", "-tokens", "1", "-ttft", "0", "-itl", "0")
	env["URL"] = f.WS + "/api/chat"
	dropped := sessionsRun(t, env)
	body, err := f.TurnsNDJSON(t.Context())
	require.NoError(t, err)
	turns, unrecorded, err := fwsim.ReadTurns(strings.NewReader(string(body)))
	require.NoError(t, err)
	require.Zero(t, unrecorded)
	received := make([]int64, len(turns))
	for i, tt := range turns {
		received[i] = tt.Received
	}
	slices.Sort(received)
	gaps := make([]float64, 0, len(received))
	for i := 1; i < len(received); i++ {
		gaps = append(gaps, time.Duration(received[i]-received[i-1]).Seconds())
	}
	return gaps, dropped
}

// Seen from a server on loopback, the arrivals of poisson-arrival-rate come with exponential
// gaps: the Kolmogorov-Smirnov test against Exp(rate) passes at alpha = 0.01 over at least 3,000
// gaps. (With a millisecond timer, arrivals less than about 1 ms apart left together and this
// test failed at 100/s: 6% of the gaps under 0.2 ms against 2%.) Each arrival is a WebSocket
// session of one turn and the times are fwsim's own (its turn log). The same check at 1,000/s is
// TestPoissonGapsAtTheServerAreExponentialAt1000PerSecond (build tag loadtest): it needs a quieter
// machine than the 2-core build machine (docs/BENCHMARKS.md).
func TestPoissonGapsAtTheServerAreExponential(t *testing.T) {
	gaps, dropped := serverArrivalGaps(t, map[string]string{"RATE": "100", "DURATION": "32s", "VUS": "200", "SEED": "2031"})
	checkExponentialGaps(t, gaps, dropped, 100)
}

// checkExponentialGaps logs the KS statistic and the share of short gaps of the server's gaps, then
// requires that no arrival was dropped (a dropped arrival merges two gaps) and that the KS test
// against Exp(rate) passes at alpha = 0.01.
func checkExponentialGaps(t *testing.T, gaps []float64, dropped, rate float64) {
	t.Helper()
	d := ksExponential(gaps, rate)
	critical := ksCriticalAlpha01 / math.Sqrt(float64(len(gaps)))
	under := func(limit float64) float64 {
		n := 0
		for _, g := range gaps {
			if g < limit {
				n++
			}
		}
		return 100 * float64(n) / float64(len(gaps))
	}
	t.Logf("%d gaps at the server, %v dropped: KS D %.4f (critical %.4f at alpha 0.01); under 0.2 ms %.2f%% "+
		"(expected %.2f%%), under 1 ms %.2f%% (expected %.2f%%)", len(gaps), dropped, d, critical,
		under(0.0002), 100*(1-math.Exp(-rate*0.0002)), under(0.001), 100*(1-math.Exp(-rate*0.001)))
	require.Zero(t, dropped, "every arrival reached the server")
	require.GreaterOrEqual(t, len(gaps), 3000)
	require.Less(t, d, critical, "the server's gaps are not exponential")
}
