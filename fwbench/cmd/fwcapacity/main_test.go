package main

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

	"github.com/featherweight/xk6-featherweight/fwbench/internal/capacity"
	"github.com/featherweight/xk6-featherweight/fwbench/internal/capacity/capacitytest"
)

func TestMain(m *testing.M) {
	capacitytest.ServeIfAsked()
	os.Exit(m.Run())
}

func TestParseEnvAndFlags(t *testing.T) {
	t.Setenv("FW_CAPACITY_MIN", "20")
	t.Setenv("FW_CAPACITY_MAX", "80")
	t.Setenv("FW_CAPACITY_STEP", "20")
	t.Setenv("FW_CAPACITY_STRATEGY", "bisect")
	t.Setenv("FW_CAPACITY_TIMEOUT", "5m")
	t.Setenv("FW_CAPACITY_OUT", "x/cap.json")
	c, err := parse([]string{"-max", "100", "-hold", "12s"}, io.Discard)
	require.NoError(t, err)
	require.Equal(t, 20, c.opts.Min)
	require.Equal(t, 100, c.opts.Max, "a flag overrides its environment variable")
	require.Equal(t, 20, c.opts.Step)
	require.Equal(t, capacity.StrategyBisect, c.opts.Strategy)
	require.Equal(t, 5*time.Minute, c.opts.Budget)
	require.Equal(t, "x/cap.png", c.chart)
	require.Equal(t, 12*time.Second+5*time.Second+time.Second+15*time.Second, c.stepEstimate())
}

func TestParseRefusesBadOptions(t *testing.T) {
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{map[string]string{"FW_CAPACITY_MIN": "ten"}, nil, `FW_CAPACITY_MIN="ten": expected an integer`},
		{nil, []string{"-min", "50", "-max", "40"}, "FW_CAPACITY_MAX=40: must be >= FW_CAPACITY_MIN=50"},
		{nil, []string{"-strategy", "guess"}, `FW_CAPACITY_STRATEGY="guess"`},
		{nil, []string{"-hold", "soon"}, `-hold "soon"`},
		{map[string]string{"FW_CAPACITY_TIMEOUT": "1 hour"}, nil, "FW_CAPACITY_TIMEOUT"},
		{nil, []string{"extra"}, "unexpected arguments"},
		{map[string]string{"FW_ARRIVAL": "poisson"}, nil, "FW_ARRIVAL=poisson: the capacity search steps the closed model's users"},
	} {
		for k, v := range tc.env {
			t.Setenv(k, v)
		}
		_, err := parse(tc.args, io.Discard)
		require.ErrorContains(t, err, tc.want)
		for k := range tc.env {
			t.Setenv(k, "")
		}
	}
}

func TestRunExitCodes(t *testing.T) {
	t.Setenv("FW_CHAT_URL", "")
	var stderr bytes.Buffer
	require.Equal(t, 2, run(context.Background(), []string{"-min", "0"}, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "FW_CAPACITY_MIN=0")
	stderr.Reset()
	require.Equal(t, 2, run(context.Background(), []string{"-k6", "/nonexistent/k6"}, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "k6 (FW_K6)")
	require.Equal(t, 0, run(context.Background(), []string{"-h"}, io.Discard, io.Discard))
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
	require.Equal(t, 0, run(context.Background(), args, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "capacity 20 users: at 30 fw_loop_hz avg 66 <= 95 broke first")
	require.Contains(t, stderr.String(), "capacity: step 3: 30 users FAIL")
	require.FileExists(t, filepath.Join(dir, "capacity.json"))
	require.FileExists(t, filepath.Join(dir, "capacity.png"))
	require.FileExists(t, filepath.Join(dir, "capacity", "step-30", "summary.json"))

	stdout.Reset()
	require.Equal(t, 3, run(context.Background(), append(args, "-require", "25"), &stdout, io.Discard))
	require.Contains(t, stdout.String(), "capacity 20 users is below the required 25")
	require.Equal(t, 0, run(context.Background(), append(args, "-require", "20"), io.Discard, io.Discard))

	t.Setenv("FAKE_EXIT", "107")
	require.Equal(t, 1, run(context.Background(), args, io.Discard, &stderr))
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
	require.Equal(t, 0, run(context.Background(), args, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "; confirmed: 20 users passed 3 of 3 re-runs (pass, pass, pass); "+
		"30 users failed 3 of 3 re-runs (fail, fail, fail)")
	for _, d := range []string{"step-20", "step-20-run2", "step-20-run4", "step-30-run4"} {
		require.FileExists(t, filepath.Join(dir, "capacity", d, "summary.json"))
	}

	t.Setenv("FAKE_FLIP", "30")
	stdout.Reset()
	require.Equal(t, 4, run(context.Background(), append(args, "-confirm", "1"), &stdout, io.Discard))
	require.Contains(t, stdout.String(), "unstable: the knee between 20 and 30 users did not hold in the majority of 1 re-runs: "+
		"20 users passed 1 of 1 re-runs (pass); 30 users failed 0 of 1 re-runs (pass)")
	raw, err := os.ReadFile(filepath.Join(dir, "capacity.json"))
	require.NoError(t, err)
	require.Contains(t, string(raw), `"verdict": "unstable"`)
	require.Contains(t, string(raw), `"confirming": true`)
}
