//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/scenario"
	"github.com/featherweight/xk6-featherweight/internal/verdict/verdicttest"
)

// subcommandRun is one finished `k6 x featherweight ...`.
type subcommandRun struct {
	code           int
	stdout, stderr string
}

// featherweight runs `./k6 x featherweight ARGS` (FW_K6) with env added to the environment (and
// automatic extension resolution off: a missing subcommand must fail here, never reach the network),
// bounded by timeout.
func featherweight(t *testing.T, timeout time.Duration, env []string, args ...string) subcommandRun {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	// #nosec G204 -- the k6 binary under test, named by FW_K6
	cmd := exec.CommandContext(ctx, binary(t, "FW_K6"), append([]string{"x", "featherweight"}, args...)...)
	cmd.Env = append(append(os.Environ(), "K6_AUTO_EXTENSION_RESOLUTION=false", "K6_NO_USAGE_REPORT=true"), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := subcommandRun{stdout: stdout.String(), stderr: stderr.String()}
	if exit, ok := errors.AsType[*exec.ExitError](err); ok {
		r.code = exit.ExitCode()
	} else {
		require.NoError(t, err)
	}
	t.Logf("k6 x featherweight %s: exit %d\n%s%s", strings.Join(args, " "), r.code, tail(r.stdout, 4000), tail(r.stderr, 4000))
	return r
}

// The subcommands in the real k6 on recorded data: compare on the unit tests' summary fixture (and
// edited copies), verdict on a real Prometheus's recorded answers. Each exit code of the table in
// docs/tools.md that needs no k6 run is reached through k6's own exit.
func TestSubcommandsExitCodesThroughK6(t *testing.T) {
	t.Parallel()
	fixture, err := filepath.Abs("../../internal/compare/testdata/smoke-summary.json")
	require.NoError(t, err)
	slower := edited(t, fixture, func(raw map[string]any) {
		ttft := raw["metrics"].(map[string]any)["fw_chat_ttft"].(map[string]any)["values"].(map[string]any)
		ttft["p(95)"] = ttft["p(95)"].(float64) * 3
	})
	otherProfile := edited(t, fixture, func(raw map[string]any) { raw["featherweight"].(map[string]any)["profile"] = "full" })

	r := featherweight(t, time.Minute, nil, "compare", fixture, fixture)
	require.Equal(t, exitcode.Pass, r.code)
	require.Contains(t, r.stdout, "no regression")
	r = featherweight(t, time.Minute, nil, "compare", "-base", fixture, "-new", slower)
	require.Equal(t, exitcode.Failed, r.code, "a regression: 99, as k6's failed thresholds")
	require.Contains(t, r.stdout, "REGRESSION in 1 figure(s): TTFT p95")
	r = featherweight(t, time.Minute, []string{"FW_COMPARE_LATENCY=500%"}, "compare", fixture, slower)
	require.Equal(t, exitcode.Pass, r.code, "the environment's tolerance")
	r = featherweight(t, time.Minute, []string{"FW_COMPARE_LATENCY=500%"}, "compare", "-latency", "20%", fixture, slower)
	require.Equal(t, exitcode.Failed, r.code, "a flag wins over its variable")
	r = featherweight(t, time.Minute, nil, "compare", fixture, otherProfile)
	require.Equal(t, exitcode.NotComparable, r.code)
	require.Contains(t, r.stderr, `profile is "smoke" in BASE but "full" in NEW`)
	r = featherweight(t, time.Minute, nil, "compare", fixture, "featherweight_test.go")
	require.Equal(t, exitcode.BadInput, r.code, "a file that is not a summary")
	require.Contains(t, r.stderr, "not a k6 summary")

	for name, want := range map[string]int{"pass.json": exitcode.Pass, "fail.json": exitcode.Failed, "unknown.json": exitcode.BadInput} {
		ex, err := verdicttest.Load(filepath.Join("..", "..", "internal", "verdict", "testdata", name))
		require.NoError(t, err)
		srv := verdicttest.NewReplay(ex)
		testid := regexp.MustCompile(`testid="([^"]+)"`).FindStringSubmatch(ex[0].Query)[1]
		out := t.TempDir()
		r = featherweight(t, time.Minute, []string{"FW_PROMETHEUS_URL=" + srv.URL, "FW_TESTID=" + testid},
			"verdict", "-out", out)
		srv.Close()
		require.Equal(t, want, r.code, name)
		if want != exitcode.BadInput {
			s, err := scenario.ReadSummaryFile(filepath.Join(out, "summary.json"))
			require.NoError(t, err, "the merged run's summary")
			require.NoError(t, s.RequireIdentity())
		}
	}

	r = featherweight(t, time.Minute, nil, "capacity", "-h")
	require.Equal(t, exitcode.Pass, r.code)
	require.Contains(t, r.stderr, "[FW_CAPACITY_HOLD] (default 30s)")
	r = featherweight(t, time.Minute, nil, "capacity", "-min", "0")
	require.Equal(t, exitcode.BadInput, r.code)
}
