//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"maps"
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
	Verdict    string `json:"verdict"`
	Capacity   int    `json:"capacity_users"`
	Knee       int    `json:"knee_users"`
	Answer     string `json:"answer"`
	Chart      string `json:"chart"`
	BrokeFirst []struct {
		Metric    string `json:"metric"`
		Threshold string `json:"threshold"`
	} `json:"broke_first"`
	Steps []struct {
		Users     int     `json:"users"`
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
// fwsim's concurrent streams).
func runCapacity(t *testing.T, env map[string]string) capacityReport {
	t.Helper()
	out := filepath.Join(t.TempDir(), "capacity.json")
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	// #nosec G204 -- the k6 binary under test, named by FW_K6
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
	raw, err := os.ReadFile(out) // #nosec G304 -- the report capacity wrote into the test's temp dir
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
	chart, err := os.ReadFile(rep.Chart) // #nosec G304 -- the chart capacity wrote into the test's temp dir
	require.NoError(t, err, "the chart is written")
	require.Contains(t, string(chart), "<polyline", "the chart draws the steps")
	return rep
}

// fwsim -capacity 20: the search in steps of 10 finds the knee within one step of 20 users and
// names a loop threshold (past 20 streams the loop runs at 100*20/streams Hz: ~67 Hz at 30).
func TestCapacityFindsFwsimKnee(t *testing.T) {
	rep := runCapacity(t, map[string]string{
		"FW_FWSIM_FLAGS": "-capacity 20", "FW_CAPACITY_MIN": "10", "FW_CAPACITY_MAX": "40", "FW_CAPACITY_STEP": "10",
	})
	require.Equal(t, "knee", rep.Verdict, rep.Answer)
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

// A healthy fwsim holds every threshold up to the maximum: bisection tries MIN and MAX and stops.
func TestCapacityHealthyHasNoKnee(t *testing.T) {
	rep := runCapacity(t, map[string]string{
		"FW_CAPACITY_STRATEGY": "bisect", "FW_CAPACITY_MIN": "10", "FW_CAPACITY_MAX": "40", "FW_CAPACITY_STEP": "10",
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
