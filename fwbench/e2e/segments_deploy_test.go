//go:build e2e && deploy

package e2e

import (
	"context"
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
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// segmentRun is one k6 process of the locally distributed run.
type segmentRun struct {
	name, segment string
	exit          harness.Exit
	samples       harness.Samples
	summary       *harness.Summary
	log           string
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
	k6 := binary(t, "FW_K6")
	runs := make([]*segmentRun, n+1)
	var wg sync.WaitGroup
	for i := range runs {
		r := &segmentRun{name: "single", segment: "-"}
		var flags []string
		if i < n {
			r.name, r.segment = fmt.Sprintf("seg-%d", i+1), segment(i+1, n)
			flags = []string{"--execution-segment", r.segment, "--execution-segment-sequence", strings.Join(seq, ",")}
		}
		runs[i] = r
		wg.Go(func() { runSegment(t, k6, r, env, flags) })
	}
	wg.Wait()

	var sumVUs, sumHz, sumChat, sumFailed, sumOK float64
	for _, r := range runs {
		vus := r.samples.Max("vus_max")
		chat := r.samples.Sum("iterations", "scenario", "chat")
		hz := r.samples.Sum("iterations", "scenario", "hz") + r.samples.Sum("dropped_iterations", "scenario", "hz")
		failed := r.samples.Sum("fw_chat_failed") // Rate samples: 1 = a failed turn
		t.Logf("%-7s %-6s exit %d: vus_max %.0f, chat iterations %.0f, hz iterations %.0f, failed turns %.0f; failed thresholds: %s",
			r.name, r.segment, r.exit.Code, vus, chat, hz, failed, failedThresholds(r.summary))
		require.Zero(t, r.exit.Code, "%s must pass its thresholds on its own share:\n%s", r.name, tail(r.log, 3000))
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
		sumFailed, sumOK = sumFailed+failed, sumOK+r.samples.Sum("chat_turns_ok")
	}
	require.InDelta(t, plan.MaxVUs, sumVUs, 0, "sum of vus_max == plan maxVUs")
	require.Zero(t, sumFailed, "no chat turn failed across the processes")
	require.Positive(t, sumOK, "chat turns succeeded across the processes")
}

// runSegment runs one k6 process of the bundled scenario with its samples (--out json) and summary.
func runSegment(t *testing.T, k6 string, r *segmentRun, env map[string]string, flags []string) {
	dir := filepath.Join(t.TempDir(), r.name)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		r.log = err.Error()
		return
	}
	env = mapsWith(env, "FW_OUT_DIR", dir)
	args := make([]string, 0, 10+len(flags))
	args = append(args, "run", "--quiet", "--no-color", "--address", "", "--tag", "instance="+r.name,
		"--out", "json="+filepath.Join(dir, "metrics.json"))
	args = append(args, flags...)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var log syncBuffer
	exit, err := harness.RunProcess(ctx, harness.ProcessOptions{
		Path: k6, Args: append(args, bundledScenario), Env: append(harness.K6Env(), envList(env)...),
		Stdout: &log, Stderr: &log,
	})
	r.exit, r.log = exit, log.String()
	if err != nil {
		r.exit.Code, r.log = -1, err.Error()
		return
	}
	if samples, err := harness.ReadSamplesFile(filepath.Join(dir, "metrics.json")); err == nil {
		r.samples = samples
	}
	r.summary, _ = harness.ReadSummaryFile(filepath.Join(dir, "summary.json"))
}

// failedThresholds names the thresholds k6 judged failed in a summary ("-" for none).
func failedThresholds(s *harness.Summary) string {
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

// mapsWith is a copy of m with k set to v.
func mapsWith(m map[string]string, k, v string) map[string]string {
	out := maps.Clone(m)
	out[k] = v
	return out
}
