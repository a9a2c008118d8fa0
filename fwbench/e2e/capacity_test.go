//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// capacityReport is the part of out/capacity.json these tests read.
type capacityReport struct {
	Unit       string  `json:"unit"`
	Verdict    string  `json:"verdict"`
	Capacity   int     `json:"capacity_users"`
	Knee       int     `json:"knee_users"`
	Load       float64 `json:"capacity"` // in Unit: users or sessions/s
	KneeLoad   float64 `json:"knee"`
	Answer     string  `json:"answer"`
	Chart      string  `json:"chart"`
	BrokeFirst []struct {
		Metric    string `json:"metric"`
		Threshold string `json:"threshold"`
	} `json:"broke_first"`
	Steps []struct {
		Users     int     `json:"users"`
		Load      float64 `json:"load"`
		MaxVUs    int     `json:"max_vus"`
		Arrivals  int     `json:"arrivals"`
		Dropped   int     `json:"dropped_iterations"`
		Pass      bool    `json:"pass"`
		Turns     int     `json:"turns"`
		HzAvg     float64 `json:"hz_avg"`
		Generator struct {
			K6Cores float64 `json:"k6_cores"`
		} `json:"generator"`
	} `json:"steps"`
}

// runCapacity runs `./k6 x featherweight capacity` (FW_K6), whose steps run the same ./k6, with
// bin/fwsim on the bundled scenario with no think time (every user is always streaming, so users =
// fwsim's concurrent streams). It returns the report and the command's stdout.
func runCapacity(t *testing.T, env map[string]string) (capacityReport, string) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "capacity.json")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	cmd := exec.CommandContext(ctx, binary(t, "FW_K6"), "x", "featherweight", "capacity")
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "FW_CHAT_URL=") && !strings.HasPrefix(kv, "FW_CAPACITY_") && !strings.HasPrefix(kv, "FW_K6=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	base := map[string]string{
		"K6_AUTO_EXTENSION_RESOLUTION": "false",
		"FW_FWSIM":                     binary(t, "FW_FWSIM"), "FW_SCRIPT": "../../examples/featherweight-load.js",
		"FW_THINK": "0", "FW_CAPACITY_RAMP": "2s", "FW_CAPACITY_HOLD": "8s", "FW_CAPACITY_OUT": out,
		"FW_CAPACITY_TIMEOUT": "3m",
	}
	maps.Copy(base, env)
	for k, v := range base {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("k6 x featherweight capacity stdout:\n%s\nstderr:\n%s", tail(stdout.String(), 6000), tail(stderr.String(), 6000))
		}
	})
	require.NoError(t, err, "capacity exits 0 when the search reaches a verdict")
	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var rep capacityReport
	require.NoError(t, json.Unmarshal(raw, &rep))
	require.Contains(t, stdout.String(), rep.Answer, "the answer line is printed")
	require.Contains(t, stdout.String(), "Hz avg", "the table is printed")
	for _, st := range rep.Steps {
		require.Contains(t, stderr.String(), "capacity: step", "a progress line per step")
		require.Positive(t, st.Turns, "step %d users ran chat turns", st.Users)
	}
	require.Equal(t, ".svg", filepath.Ext(rep.Chart))
	chart, err := os.ReadFile(rep.Chart)
	require.NoError(t, err, "the chart is written")
	require.Contains(t, string(chart), "<polyline", "the chart draws the steps")
	require.Contains(t, string(chart), rep.Unit, "the chart's axis names the unit")
	require.Contains(t, rep.Answer, rep.Unit, "the answer names the unit")
	header, _, _ := strings.Cut(strings.TrimLeft(stdout.String(), "\n"), "\n")
	require.Equal(t, rep.Unit, strings.Fields(header)[0], "the table's first column is the unit")
	return rep, stdout.String()
}

// fwsim -capacity 20: the search in steps of 10 finds the knee within one step of 20 users and
// names a loop threshold (past 20 streams the loop runs at 100*20/streams Hz: ~67 Hz at 30). fwsim's
// loop rate follows its stream count at once, so steps of a 1 s ramp and a 3 s hold (three Hz
// readings at full users) judge it as a longer hold would, in half the time.
func TestCapacityFindsFwsimKnee(t *testing.T) {
	rep, _ := runCapacity(t, map[string]string{
		"FW_FWSIM_FLAGS": "-capacity 20", "FW_CAPACITY_MIN": "10", "FW_CAPACITY_MAX": "40", "FW_CAPACITY_STEP": "10",
		"FW_CAPACITY_RAMP": "1s", "FW_CAPACITY_HOLD": "3s",
	})
	require.Equal(t, "knee", rep.Verdict, rep.Answer)
	require.Equal(t, "users", rep.Unit)
	require.InDelta(t, 20, rep.Capacity, 10, "within one step of fwsim's capacity: %s", rep.Answer)
	require.Equal(t, rep.Capacity+10, rep.Knee)
	require.NotEmpty(t, rep.BrokeFirst)
	require.Contains(t, []string{"fw_loop_hz", "checks{type:hz}"}, rep.BrokeFirst[0].Metric, rep.Answer)
	require.True(t, strings.HasPrefix(rep.Answer, "capacity 20 users: at 30 ") || strings.HasPrefix(rep.Answer, "capacity 10 users: at 20 "), rep.Answer)
	require.Contains(t, rep.Answer, rep.BrokeFirst[0].Metric+" ")
	last := rep.Steps[len(rep.Steps)-1]
	require.False(t, last.Pass)
	require.Less(t, last.HzAvg, 95.0)
}

// A healthy fwsim holds every threshold up to the maximum: bisection tries MIN and MAX and stops
// (steps of a 1 s ramp and a 3 s hold, as above).
func TestCapacityHealthyHasNoKnee(t *testing.T) {
	rep, _ := runCapacity(t, map[string]string{
		"FW_CAPACITY_STRATEGY": "bisect", "FW_CAPACITY_MIN": "10", "FW_CAPACITY_MAX": "40", "FW_CAPACITY_STEP": "10",
		"FW_CAPACITY_RAMP": "1s", "FW_CAPACITY_HOLD": "3s",
	})
	require.Equal(t, "no_knee", rep.Verdict, rep.Answer)
	require.Equal(t, 40, rep.Capacity)
	require.True(t, strings.HasPrefix(rep.Answer, "no knee below 40 users"), rep.Answer)
	require.Len(t, rep.Steps, 2)
	for _, st := range rep.Steps {
		require.True(t, st.Pass)
		require.Positive(t, st.Generator.K6Cores, "the generator's own CPU is measured")
	}
}

// The open model: fwsim -capacity 20 with replies of 2 s (TTFT 100 ms + 95 gaps of 20 ms, no jitter)
// and one-turn sessions with no think time. By Little's law the streams in progress are the arrival
// rate times the time a session streams, so fwsim saturates at 20 / 2 s = 10 sessions/s: the rate
// search from 7.5 (3/4 of the knee: the step below it that must pass) in steps of 2.5 sessions/s
// finds that knee within one step, the loop's threshold breaking first, and the generator kept up
// below it (FW_MAX_VUS by Little's law with headroom).
// Little's law is about the mean: with Poisson arrivals the streams in progress vary around it (at 3/4
// of the knee, 15 ± 4), and one-second readings of the loop dip below 95 Hz while its average stays
// ~98. FW_HZ_MIN=90 keeps the per-reading check (checks{type:hz}) from judging that noise (measured:
// 2 of 10 readings under 95 at 3/4 of the knee); fw_loop_hz avg>95 still judges the mean. Sessions of
// 2 s, not 0.5 s, make the steps below the knee ride out a stall of the shared machine (measured: with
// 0.5 s sessions a stall at 3/4 of the knee piled the streams past N, and the loop fell to 68 Hz).
func TestCapacityRateFindsTheKneeLittlesLawImplies(t *testing.T) {
	const (
		streams    = 20  // fwsim -capacity
		sessionSec = 2.0 // -ttft 100ms + (96-1) x -itl 20ms, one turn a session
		knee       = streams / sessionSec
		step       = 2.5
	)
	rep, stdout := runCapacity(t, map[string]string{
		"FW_FWSIM_FLAGS": "-capacity 20 -ttft 100ms -itl 20ms -tokens 96 -jitter 0",
		"FW_ARRIVAL":     "poisson", "FW_TURNS": "1", "FW_SEED": "7", "FW_HZ_MIN": "90",
		"FW_CAPACITY_MIN": "7.5", "FW_CAPACITY_MAX": "15", "FW_CAPACITY_STEP": "2.5",
		"FW_CAPACITY_SESSION_TIME": "4s", "FW_CAPACITY_HOLD": "10s",
	})
	require.Equal(t, "sessions/s", rep.Unit)
	require.Equal(t, "knee", rep.Verdict, rep.Answer)
	require.InDelta(t, knee, rep.Load, step, "within one step of %v sessions/s: %s", knee, rep.Answer)
	require.InDelta(t, knee, rep.KneeLoad, step, rep.Answer)
	require.InDelta(t, step, rep.KneeLoad-rep.Load, 1e-9)
	require.Zero(t, rep.Capacity, "no user count in a rate search")
	require.Contains(t, []string{"fw_loop_hz", "checks{type:hz}"}, rep.BrokeFirst[0].Metric, rep.Answer)
	require.Contains(t, rep.Answer, " sessions/s: at ")
	require.Contains(t, stdout, "sessions/s: FAIL ")
	for _, st := range rep.Steps {
		require.Zero(t, st.Users)
		require.Positive(t, st.MaxVUs)
		// Poisson arrivals over the 13 s the executor runs (ramp, hold and ramp-down).
		require.InDelta(t, st.Load*13, st.Arrivals, 5*math.Sqrt(st.Load*13)+2, "step %v sessions/s", st.Load)
		if st.Pass {
			require.LessOrEqual(t, float64(st.Dropped), 0.01*float64(st.Arrivals), "the generator kept up at %v sessions/s", st.Load)
		}
	}
}

// FW_GOODPUT_MIN through the bundled scenario: every reply's TTFT is 100 ms against an slo of 50 ms, so
// no turn is goodput and the step fails on fw_chat_goodput although every other threshold holds.
func TestCapacityGoodputCriterionFailsAStep(t *testing.T) {
	rep, stdout := runCapacity(t, map[string]string{
		"FW_FWSIM_FLAGS": "-ttft 100ms -jitter 0", "FW_SLO_TTFT": "50", "FW_GOODPUT_MIN": "0.9",
		"FW_CAPACITY_MIN": "5", "FW_CAPACITY_MAX": "5", "FW_CAPACITY_STEP": "1",
		"FW_CAPACITY_RAMP": "1s", "FW_CAPACITY_HOLD": "2s",
	})
	require.Equal(t, "below_min", rep.Verdict, rep.Answer)
	require.Len(t, rep.BrokeFirst, 1, rep.Answer)
	require.Equal(t, "fw_chat_goodput", rep.BrokeFirst[0].Metric)
	require.Equal(t, "capacity below 5 users: at 5 fw_chat_goodput rate 0 < 0.9 broke first", rep.Answer)
	require.Contains(t, stdout, "a step below 0.9 fails (FW_GOODPUT_MIN)")
}
