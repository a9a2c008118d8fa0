package capacity

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/capacity/capacitytest"
)

func fakeRunner(t *testing.T, env ...string) *K6Runner {
	t.Helper()
	k6, err := os.Executable() // the test binary, acting as k6 (main_test.go)
	require.NoError(t, err)
	env = append(env, capacitytest.Env)
	return &K6Runner{K6: k6, Script: "script.js", OutDir: t.TempDir(), Ramp: "1s", Hold: "2s", RampDown: "1s", Env: env}
}

func TestK6RunnerVerdictsFromExitCodeAndSummary(t *testing.T) {
	t.Parallel()
	r := fakeRunner(t, "FAKE_KNEE=20")
	st, err := r.RunStep(context.Background(), 20)
	require.NoError(t, err)
	require.True(t, st.Pass)
	require.Equal(t, 0, st.K6Exit)
	require.EqualValues(t, 60, st.Turns)
	require.InDelta(t, 100, *st.HzAvg, 0)
	require.FileExists(t, filepath.Join(r.OutDir, "step-20", "k6.log"))
	require.GreaterOrEqual(t, st.Generator.K6Cores, 0.0)
	require.Positive(t, st.Generator.CPUs)

	st, err = r.RunStep(context.Background(), 40)
	require.NoError(t, err, "exit 99 is a verdict, not an error")
	require.False(t, st.Pass)
	require.Equal(t, 99, st.K6Exit)
	require.Equal(t, "fw_loop_hz avg 50 <= 95", st.Failed[0].Text)

	rep, err := Search(context.Background(), Options{Min: 10, Max: 40, Step: 10}, r)
	require.NoError(t, err)
	require.Equal(t, "capacity 20 users: at 30 fw_loop_hz avg 66 <= 95 broke first", rep.Answer)
}

func TestK6RunnerErrors(t *testing.T) {
	t.Parallel()
	_, err := fakeRunner(t, "FAKE_EXIT=104").RunStep(context.Background(), 10)
	require.ErrorIs(t, err, ErrK6)
	require.ErrorContains(t, err, "exit 104")
	require.ErrorContains(t, err, "fake k6: script error")

	_, err = fakeRunner(t, "FAKE_KNEE=5", "FAKE_LIE=1").RunStep(context.Background(), 10)
	require.ErrorIs(t, err, ErrK6)
	require.ErrorContains(t, err, "k6 exited 0 but its summary lists 1 failed thresholds")

	r := fakeRunner(t)
	r.K6 = filepath.Join(t.TempDir(), "no-k6")
	_, err = r.RunStep(context.Background(), 10)
	require.ErrorIs(t, err, ErrK6)
}
