//go:build e2e && deploy

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// segmentRun is one k6 process of the locally distributed run.
type segmentRun struct {
	name, segment string
	k6            *K6Process
	K6Run
	summary *scenario.Summary
}

// segment is i's share (i in 1..n) of the sequence 0,1/n,...,1: (i-1)/n:i/n, 0 and 1 spelled plainly.
func segment(i, n int) string {
	frac := func(k int) string {
		switch k {
		case 0:
			return "0"
		case n:
			return "1"
		}
		return fmt.Sprintf("%d/%d", k, n)
	}
	return frac(i-1) + ":" + frac(i)
}

// The bundled scenario split over SEGMENTS (3) k6 processes with --execution-segment and
// --execution-segment-sequence (what the k6-operator does across pods) against one fwsim runs the
// single-instance plan: the processes' vus_max add up to `k6 inspect`'s maxVUs and to an un-split
// run's; the arrival-rate scenario's iterations add up to the un-split run's (give or take one per
// process: each segment's last arrival may fall either side of the end); the ramping chat scenario's
// within SEG_TOLERANCE percent (25; its think time is random); every turn succeeds and every process
// passes its thresholds on its own share (FW_HZ_SCRAPERS=N gives each its own Hz scraper).
func TestExecutionSegmentsRunTheSingleInstancePlan(t *testing.T) {
	n, err := strconv.Atoi(envOr("SEGMENTS", "3"))
	require.NoError(t, err)
	require.Positive(t, n)
	tolerance, err := strconv.ParseFloat(envOr("SEG_TOLERANCE", "25"), 64)
	require.NoError(t, err)
	f := StartFwsim(t)
	env := map[string]string{
		"FW_PROFILE": envOr("FW_PROFILE", "smoke"), "FW_VUS": envOr("FW_VUS", strconv.Itoa(2*n)),
		"FW_HZ_SCRAPERS": envOr("FW_HZ_SCRAPERS", strconv.Itoa(n)),
	}
	maps.Copy(env, f.ScenarioEnv())

	// The plan: k6 inspect takes no segment flags; it gives the whole test's maxVUs.
	inspect := make([]string, 0, 8)
	inspect = append(inspect, "inspect", "--execution-requirements")
	for _, k := range []string{"FW_PROFILE", "FW_VUS", "FW_HZ_SCRAPERS"} {
		inspect = append(inspect, "-e", k+"="+env[k])
	}
	// #nosec G204 -- the k6 binary under test, named by FW_K6
	out, err := exec.CommandContext(t.Context(), binary(t, "FW_K6"), append(inspect, bundledScenario)...).Output()
	require.NoError(t, err, "k6 inspect")
	var plan struct {
		MaxVUs int `json:"maxVUs"`
	}
	require.NoError(t, json.Unmarshal(out, &plan), "%s", out)
	require.Positive(t, plan.MaxVUs)

	seq := make([]string, 0, n+1)
	for i := range n + 1 {
		seq = append(seq, strings.SplitN(segment(max(i, 1), n), ":", 2)[min(i, 1)])
	}
	runs := make([]*segmentRun, n+1)
	for i := range runs {
		r := &segmentRun{name: "single", segment: "-"}
		var flags []string
		if i < n {
			r.name, r.segment = fmt.Sprintf("seg-%d", i+1), segment(i+1, n)
			flags = []string{"--execution-segment", r.segment, "--execution-segment-sequence", strings.Join(seq, ",")}
		}
		r.k6 = StartK6(t, K6Options{
			Script: bundledScenario, Env: env, OutDir: filepath.Join(t.TempDir(), r.name),
			Flags: append([]string{"--address", "", "--tag", "instance=" + r.name}, flags...),
		})
		runs[i] = r
	}
	for _, r := range runs {
		r.K6Run = r.k6.Wait(t)
		r.summary, _ = scenario.ReadSummaryFile(filepath.Join(r.OutDir, "summary.json"))
	}

	var sumVUs, sumHz, sumChat, sumFailed, sumOK float64
	for _, r := range runs {
		vus := r.Max("vus_max")
		chat := r.Sum("iterations", "scenario", "chat")
		hz := r.Sum("iterations", "scenario", "hz") + r.Sum("dropped_iterations", "scenario", "hz")
		failed := r.Sum("fw_chat_failed") // Rate samples: 1 = a failed turn
		t.Logf("%-7s %-6s exit %d: vus_max %.0f, chat iterations %.0f, hz iterations %.0f, failed turns %.0f; failed thresholds: %s",
			r.name, r.segment, r.ExitCode, vus, chat, hz, failed, failedThresholds(r.summary))
		require.Zero(t, r.ExitCode, "%s must pass its thresholds on its own share:\n%s", r.name, tail(r.Output(), 3000))
		if r.name == "single" {
			require.InDelta(t, plan.MaxVUs, vus, 0, "single-instance vus_max == plan maxVUs")
			require.InDelta(t, hz, sumHz, float64(n), "hz iterations: the sum over processes within %d of the single run's", n)
			require.Positive(t, sumHz)
			require.Positive(t, chat)
			require.LessOrEqual(t, math.Abs(sumChat-chat)*100, chat*tolerance,
				"chat iterations: sum %.0f within %.0f%% of the single run's %.0f", sumChat, tolerance, chat)
			continue
		}
		sumVUs, sumHz, sumChat = sumVUs+vus, sumHz+hz, sumChat+chat
		sumFailed, sumOK = sumFailed+failed, sumOK+r.Sum("chat_turns_ok")
	}
	require.InDelta(t, plan.MaxVUs, sumVUs, 0, "sum of vus_max == plan maxVUs")
	require.Zero(t, sumFailed, "no chat turn failed across the processes")
	require.Positive(t, sumOK, "chat turns succeeded across the processes")
}

// failedThresholds names the thresholds k6 judged failed in a summary ("-" for none).
func failedThresholds(s *scenario.Summary) string {
	if s == nil {
		return "no summary"
	}
	var out []string
	for name, m := range s.Metrics {
		for expr, th := range m.Thresholds {
			if !th.OK {
				out = append(out, name+": "+expr)
			}
		}
	}
	if len(out) == 0 {
		return "-"
	}
	sort.Strings(out)
	return strings.Join(out, ", ")
}

func envOr(name, dflt string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return dflt
}
