package cli

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/capacity"
	"github.com/featherweight/xk6-featherweight/internal/capacity/capacitytest"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

func TestMain(m *testing.M) {
	capacitytest.ServeIfAsked()
	os.Exit(m.Run())
}

func TestCapacityFlagsDefaultFromTheEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"FW_CAPACITY_MIN": "20", "FW_CAPACITY_MAX": "80", "FW_CAPACITY_STEP": "20", "FW_CAPACITY_STRATEGY": "bisect",
		"FW_CAPACITY_TIMEOUT": "5m", "FW_CAPACITY_OUT": "x/cap.json", "FW_K6": "/opt/k6",
	}
	c, code, done := parseCapacity([]string{"-max", "100", "-hold", "12s"}, knob.MapEnv(env), io.Discard)
	require.False(t, done, "exit %d", code)
	require.Equal(t, 20, c.opts.Min)
	require.Equal(t, 100, c.opts.Max, "a flag overrides its environment variable")
	require.Equal(t, 20, c.opts.Step)
	require.Equal(t, capacity.StrategyBisect, c.opts.Strategy)
	require.Equal(t, 5*time.Minute, c.opts.Budget)
	require.Equal(t, "x/cap.svg", c.chart)
	require.Equal(t, "/opt/k6", c.k6)
	require.Equal(t, 12*time.Second+5*time.Second+time.Second+15*time.Second, c.stepEstimate())
}

func TestCapacityRunsThisK6ByDefault(t *testing.T) {
	t.Parallel()
	c, code, done := parseCapacity(nil, knob.MapEnv(nil), io.Discard)
	require.False(t, done, "exit %d", code)
	exe, err := os.Executable()
	require.NoError(t, err)
	require.Equal(t, exe, c.k6, "k6 x featherweight capacity runs its steps with the same k6 binary")
}

func TestCapacityRefusesBadOptions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"FW_CAPACITY_MIN": "ten"}, nil, `FW_CAPACITY_MIN="ten": expected an integer`},
		{nil, []string{"-min", "50", "-max", "40"}, "FW_CAPACITY_MAX=40: must be >= FW_CAPACITY_MIN=50"},
		{nil, []string{"-strategy", "guess"}, `FW_CAPACITY_STRATEGY="guess"`},
		{nil, []string{"-hold", "soon"}, `invalid value "soon" for flag -hold`},
		{nil, []string{"-hold", "-1s"}, "-hold -1s: must not be negative"},
		{map[string]string{"FW_CAPACITY_TIMEOUT": "1 hour"}, nil, "FW_CAPACITY_TIMEOUT"},
		{map[string]string{"FW_CAPACITY_HOLD": "30"}, nil, "FW_CAPACITY_HOLD=\"30\": expected a Go duration"},
		{nil, []string{"extra"}, "unexpected arguments"},
		{map[string]string{"FW_ARRIVAL": "poisson"}, nil, "FW_ARRIVAL=poisson: the capacity search steps the closed model's users"},
	} {
		var stderr bytes.Buffer
		_, code, done := parseCapacity(tc.args, knob.MapEnv(tc.env), &stderr)
		require.True(t, done, tc.want)
		require.Equal(t, exitcode.BadInput, code, tc.want)
		require.Contains(t, stderr.String(), tc.want)
	}
}

func TestCapacityExitCodes(t *testing.T) {
	t.Parallel()
	env := knob.MapEnv(nil)
	var stderr bytes.Buffer
	require.Equal(t, exitcode.BadInput, runCapacity(context.Background(), []string{"-min", "0"}, env, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "FW_CAPACITY_MIN=0")
	stderr.Reset()
	require.Equal(t, exitcode.BadInput,
		runCapacity(context.Background(), []string{"-k6", "/nonexistent/k6"}, env, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "k6 (FW_K6)")
	stderr.Reset()
	require.Equal(t, exitcode.Pass, runCapacity(context.Background(), []string{"-h"}, env, io.Discard, &stderr))
	require.Contains(t, strings.Join(strings.Fields(stderr.String()), " "), "a flag given wins over its variable, the "+
		"variable over the default shown", "help states the flag/env rule")
	require.Contains(t, stderr.String(), "[FW_CAPACITY_HOLD] (default 30s)")
}

// The whole command against the fake k6 of the capacity package's tests (a remote backend: no fwsim).
func TestRunWithFakeK6(t *testing.T) {
	k6, err := os.Executable() // the test binary, acting as k6 (TestMain)
	require.NoError(t, err)
	t.Setenv(strings.Split(capacitytest.Env, "=")[0], "1")
	dir := t.TempDir()
	script := filepath.Join(dir, "script.js")
	require.NoError(t, os.WriteFile(script, nil, 0o600))
	t.Setenv("FW_CHAT_URL", "ws://127.0.0.1:1/api/chat")
	t.Setenv("FAKE_KNEE", "20")
	args := []string{
		"-k6", k6, "-script", script, "-out", filepath.Join(dir, "capacity.json"),
		"-min", "10", "-max", "40", "-step", "10", "-hold", "1s", "-ramp", "1s",
	}

	var stdout, stderr bytes.Buffer
	require.Equal(t, exitcode.Pass, runCapacity(context.Background(), args, knob.OSEnv(), &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "capacity 20 users: at 30 fw_loop_hz avg 66 <= 95 broke first")
	require.Contains(t, stderr.String(), "capacity: step 3: 30 users FAIL")
	require.FileExists(t, filepath.Join(dir, "capacity.json"))
	require.FileExists(t, filepath.Join(dir, "capacity.svg"))
	require.FileExists(t, filepath.Join(dir, "capacity", "step-30", "summary.json"))

	stdout.Reset()
	require.Equal(t, exitcode.Failed, runCapacity(context.Background(), append(args, "-require", "25"), knob.OSEnv(), &stdout, io.Discard))
	require.Contains(t, stdout.String(), "capacity 20 users is below the required 25")
	require.Equal(t, exitcode.Pass, runCapacity(context.Background(), append(args, "-require", "20"), knob.OSEnv(), io.Discard, io.Discard))

	t.Setenv("FAKE_EXIT", "107")
	require.Equal(t, exitcode.Incomplete, runCapacity(context.Background(), args, knob.OSEnv(), io.Discard, &stderr))
	require.Contains(t, stderr.String(), "exit 107")
}

// FW_CAPACITY_CONFIRM through the command: each re-run gets its own step directory; a re-run that
// flips the knee makes the search unstable (exit 4).
func TestRunConfirmWithFakeK6(t *testing.T) {
	k6, err := os.Executable() // the test binary, acting as k6 (TestMain)
	require.NoError(t, err)
	t.Setenv(strings.Split(capacitytest.Env, "=")[0], "1")
	dir := t.TempDir()
	script := filepath.Join(dir, "script.js")
	require.NoError(t, os.WriteFile(script, nil, 0o600))
	t.Setenv("FW_CHAT_URL", "ws://127.0.0.1:1/api/chat")
	t.Setenv("FAKE_KNEE", "20")
	t.Setenv("FW_CAPACITY_CONFIRM", "3")
	args := make([]string, 0, 18)
	args = append(args,
		"-k6", k6, "-script", script, "-out", filepath.Join(dir, "capacity.json"),
		"-min", "10", "-max", "40", "-step", "10", "-hold", "1s", "-ramp", "1s")
	var stdout, stderr bytes.Buffer
	require.Equal(t, exitcode.Pass, runCapacity(context.Background(), args, knob.OSEnv(), &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "; confirmed: 20 users passed 3 of 3 re-runs (pass, pass, pass); "+
		"30 users failed 3 of 3 re-runs (fail, fail, fail)")
	for _, d := range []string{"step-20", "step-20-run2", "step-20-run4", "step-30-run4"} {
		require.FileExists(t, filepath.Join(dir, "capacity", d, "summary.json"))
	}

	t.Setenv("FAKE_FLIP", "30")
	stdout.Reset()
	require.Equal(t, exitcode.Unstable, runCapacity(context.Background(), append(args, "-confirm", "1"), knob.OSEnv(), &stdout, io.Discard))
	require.Contains(t, stdout.String(), "unstable: the knee between 20 and 30 users did not hold in the majority of 1 re-runs: "+
		"20 users passed 1 of 1 re-runs (pass); 30 users failed 0 of 1 re-runs (pass)")
	raw, err := os.ReadFile(filepath.Join(dir, "capacity.json")) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	require.Contains(t, string(raw), `"verdict": "unstable"`)
	require.Contains(t, string(raw), `"confirming": true`)
}
