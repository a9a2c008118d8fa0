//go:build e2e

// Package e2e runs the real ./k6 (built by xk6 with this extension) against the real bin/fwsim on
// loopback. `make test-e2e` builds both and passes their paths in FW_K6 and FW_FWSIM. The helpers
// here are thin test wrappers of package harness, which the tools use too.
package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/fwsim"
)

// binary returns the path in env var name; the test fails (never skips) when it is missing, so a
// misconfigured run cannot turn green by testing nothing.
func binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	require.NotEmpty(t, p, "%s is not set: run the tests through make (test-e2e, test-deploy)", name)
	_, err := os.Stat(p)
	require.NoError(t, err, "%s=%s", name, p)
	return p
}

// Fwsim is a running bin/fwsim process (harness.Fwsim), stopped when the test ends.
type Fwsim struct {
	*harness.Fwsim
	// HTTP is the base URL, e.g. http://127.0.0.1:41234.
	HTTP string
	// WS is the WebSocket base URL, e.g. ws://127.0.0.1:41234.
	WS string
}

// StartFwsim starts bin/fwsim (FW_FWSIM) on a free loopback port with -seed 1 and the given extra
// flags, and stops it when the test ends (its output is logged when the test failed).
func StartFwsim(t *testing.T, flags ...string) *Fwsim {
	t.Helper()
	args := append([]string{"-seed", "1"}, flags...)
	log := &syncBuffer{}
	sim, err := harness.StartFwsim(t.Context(), harness.FwsimOptions{Binary: binary(t, "FW_FWSIM"), Flags: args, Log: log})
	require.NoError(t, err, "fwsim %v output:\n%s", args, log)
	t.Cleanup(func() {
		_ = sim.Stop()
		if t.Failed() {
			t.Logf("fwsim %v output:\n%s", args, tail(log.String(), 4000))
		}
	})
	return &Fwsim{Fwsim: sim, HTTP: sim.URL, WS: sim.WS()}
}

// Truth fetches fwsim's ground truth (GET /debug/truth).
func (f *Fwsim) Truth(t *testing.T) fwsim.Truth {
	t.Helper()
	tr, err := f.Fwsim.Truth(t.Context())
	require.NoError(t, err)
	return tr
}

// K6Run is the outcome of one `k6 run`.
type K6Run struct {
	ExitCode int
	Stdout   string
	Stderr   string
	// OutDir holds samples.json (and, when K6Options.OutDir named it, the bundled scenario's outputs).
	OutDir string
	// Samples are the metric samples k6 wrote with --out json (Where, Sum, Max select from them).
	harness.Samples
}

// Sample is one metric point from k6's JSON output (Metric, Value, Tags).
type Sample = harness.Sample

// RunK6 runs `k6 run` (FW_K6) on script (a path relative to e2e/) with env added to the environment,
// collecting every sample through --out json. Extra k6 flags may follow. The run is bounded to 5 minutes.
func RunK6(t *testing.T, script string, env map[string]string, flags ...string) K6Run {
	t.Helper()
	return StartK6(t, K6Options{Script: script, Env: env, Flags: flags}).Wait(t)
}

// RunFwbench runs bin/fwbench (FW_FWBENCH) from the repository root with args and env added to
// the environment (env's names first removed from it), bounded to 5 minutes, and returns its
// combined output and exit code.
func RunFwbench(t *testing.T, env map[string]string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	var out syncBuffer
	exit, err := harness.RunProcess(ctx, harness.ProcessOptions{
		Path: binary(t, "FW_FWBENCH"), Args: args, Dir: "../..", Env: envList(env), Stdout: &out, Stderr: &out,
	})
	require.NoError(t, err, "fwbench %v", args)
	return out.String(), exit.Code
}

// envList turns an environment map into KEY=value entries.
func envList(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}

// Count is the number of selected samples.
func (r K6Run) Count(metric string, tagPairs ...string) int {
	return len(r.Where(metric, tagPairs...))
}

// Mean is the average value of the selected samples (NaN-free: 0 when there are none).
func (r K6Run) Mean(metric string, tagPairs ...string) float64 {
	n := r.Count(metric, tagPairs...)
	if n == 0 {
		return 0
	}
	return r.Sum(metric, tagPairs...) / float64(n)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("...(%d bytes cut)...\n%s", len(s)-n, s[len(s)-n:])
}

// syncBuffer is a bytes.Buffer safe for a process's output and the test reading it.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
