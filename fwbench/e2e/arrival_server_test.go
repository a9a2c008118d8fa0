//go:build e2e

package e2e

import (
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// ksCriticalAlpha01 is the one-sample Kolmogorov-Smirnov critical value at alpha = 0.01, times
// sqrt(n) (large-sample approximation).
const ksCriticalAlpha01 = 1.628

// serverArrivalGaps runs sessions.js (one WebSocket session of one turn per arrival) against fwsim
// and returns the gaps between the prompts as fwsim read them (its own turn log, not the
// executor's schedule), in seconds, and the dropped iterations.
func serverArrivalGaps(t *testing.T, env map[string]string) ([]float64, float64) {
	t.Helper()
	f := StartFwsim(t, "-record-turns", "20000", "-tokens", "1", "-ttft", "0", "-itl", "0")
	env["URL"] = f.WS + "/api/chat"
	run := RunK6(t, "testdata/arrival/sessions.js", env)
	require.Equal(t, 0, run.ExitCode, run.Stderr)
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
	return gaps, run.Sum("dropped_iterations")
}

// Seen from a server on loopback, the sessions of poisson-arrival-rate arrive with exponential
// gaps: the Kolmogorov-Smirnov test against Exp(rate) passes at alpha = 0.01 over at least 3,000
// gaps, at 100 and 1,000 sessions a second. (With a millisecond timer, arrivals less than about
// 1 ms apart left together and this test failed at 100/s: 6% of the gaps under 0.2 ms against 2%.)
func TestPoissonSessionGapsAtTheServerAreExponential(t *testing.T) {
	for _, tc := range []struct {
		rate          float64
		duration, vus string
		seed          int
	}{
		{100, "32s", "50", 2031},
		{1000, "4s", "300", 2032},
	} {
		t.Run(fmt.Sprintf("%.0f per second", tc.rate), func(t *testing.T) {
			gaps, dropped := serverArrivalGaps(t, map[string]string{
				"RATE": fmt.Sprint(tc.rate), "DURATION": tc.duration, "VUS": tc.vus, "SEED": fmt.Sprint(tc.seed),
			})
			require.Zero(t, dropped, "every arrival reached the server")
			require.GreaterOrEqual(t, len(gaps), 3000)
			d := ksExponential(gaps, tc.rate)
			critical := ksCriticalAlpha01 / math.Sqrt(float64(len(gaps)))
			under := func(limit float64) float64 {
				n := 0
				for _, g := range gaps {
					if g < limit {
						n++
					}
				}
				return float64(n) / float64(len(gaps))
			}
			t.Logf("%d gaps at the server: KS D %.4f (critical %.4f at alpha 0.01); under 0.2 ms %.2f%% (expected %.2f%%), "+
				"under 1 ms %.2f%% (expected %.2f%%)", len(gaps), d, critical,
				100*under(0.0002), 100*(1-math.Exp(-tc.rate*0.0002)), 100*under(0.001), 100*(1-math.Exp(-tc.rate*0.001)))
			require.Less(t, d, critical, "the server's gaps are not exponential")
		})
	}
}
