package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/compare"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
	"github.com/featherweight/xk6-featherweight/internal/verdict/verdicttest"
)

// replay serves a recorded verdict (internal/verdict/testdata) and returns its URL and testid.
func replay(t *testing.T, name string) (string, string) {
	t.Helper()
	ex, err := verdicttest.Load(filepath.Join("..", "verdict", "testdata", name))
	require.NoError(t, err)
	srv := verdicttest.NewReplay(ex)
	t.Cleanup(srv.Close)
	m := regexp.MustCompile(`testid="([^"]+)"`).FindStringSubmatch(ex[0].Query)
	require.NotNil(t, m)
	return srv.URL, m[1]
}

// fwverdict runs the command with env as its environment.
func fwverdict(env map[string]string, args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = runVerdict(context.Background(), args, knob.MapEnv(env), &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestFwverdictExitsZeroAndWritesTheSummaryForAPassingRun(t *testing.T) {
	t.Parallel()
	url, testid := replay(t, "pass.json")
	dir := t.TempDir()
	code, stdout, stderr := fwverdict(map[string]string{"FW_PROMETHEUS_URL": url, "FW_TESTID": testid, "FW_OUT_DIR": dir})
	require.Equal(t, exitcode.Pass, code, stderr)
	assert.Contains(t, stdout, "verdict: PASS")
	s, err := compare.Load(filepath.Join(dir, "summary.json"))
	require.NoError(t, err, "fwcompare reads what fwverdict wrote")
	assert.Equal(t, "featherweight-load", s.Identity.Scenario)
}

func TestFwverdictExits99NamingTheFailedThreshold(t *testing.T) {
	t.Parallel()
	url, testid := replay(t, "fail.json")
	code, stdout, stderr := fwverdict(nil, "-prometheus", url, "-testid", testid)
	require.Equal(t, exitcode.Failed, code, stderr)
	assert.Contains(t, stdout, "FAIL  error_rate: rate<0.01")
	assert.Contains(t, stderr, "threshold failed on the merged run: error_rate: rate<0.01")
}

func TestFwverdictExits2WhenTheRunCannotBeJudged(t *testing.T) {
	t.Parallel()
	url, testid := replay(t, "unknown.json")
	code, stdout, stderr := fwverdict(nil, "-prometheus", url, "-testid", testid)
	assert.Equal(t, exitcode.BadInput, code)
	assert.Empty(t, stdout, "no summary, no verdict")
	assert.Contains(t, stderr, "no samples for testid")

	for name, args := range map[string][]string{
		"no testid":     {"-prometheus", url},
		"no prometheus": {"-testid", "x"},
		"extra args":    {"-prometheus", url, "-testid", "x", "more"},
		"bad flag":      {"-nope"},
	} {
		code, _, _ := fwverdict(nil, args...)
		assert.Equal(t, exitcode.BadInput, code, name)
	}
}
