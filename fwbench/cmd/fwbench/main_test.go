package main

import (
	"bytes"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestGrowthComparesTheHoldOnly(t *testing.T) {
	t.Parallel()
	s := func(at int, rss uint64, g, fds int) soakSample {
		return soakSample{at: time.Duration(at) * time.Second, rssMiB: rss, goroutines: g, fds: fds}
	}
	samples := []soakSample{s(10, 50, 100, 20), s(70, 200, 1000, 1010), s(400, 260, 1002, 1011), s(600, 250, 1001, 1012), s(1300, 90, 50, 30)}
	require.Equal(t, "over the hold (3 samples): RSS 200 -> 250 MiB (peak 260), goroutines 1000 -> 1001, fds 1010 -> 1012",
		growth(samples, 70*time.Second, 20*time.Minute), "the ramp-up and the ramp-down are left out")
	require.Equal(t, "no samples in the hold", growth(samples[:1], 70*time.Second, 20*time.Minute))
}

func TestSlopeIsLeastSquaresOverTheWindow(t *testing.T) {
	t.Parallel()
	var samples []soakSample
	for m := 0; m <= 70; m++ { // 1 MiB a minute from minute 10, a jump before it (the warm-up)
		rss := uint64(100)
		if m >= 10 {
			rss = uint64(300 + m - 10)
		}
		samples = append(samples, soakSample{at: time.Duration(m) * time.Minute, rssMiB: rss})
	}
	got := slope(samples, 10*time.Minute, 70*time.Minute)
	require.Equal(t, "RSS slope from 10m0s to 1h10m0s (61 samples): +62.9 MB/h", got, "60 MiB/h = 62.9 MB/h; the warm-up is left out")
	require.Contains(t, slope(samples[:1], 0, time.Hour), "too few samples")
}

func TestBenchSettingsFromEnvironment(t *testing.T) {
	t.Setenv("BENCH_QUICK", "1")
	t.Setenv("BENCH_WORKLOADS", "slow")
	t.Setenv("BENCH_USERS", "20 40")
	t.Setenv("BENCH_SETTLE", "0")
	t.Setenv("FW_K6", "/bin/sh") // any existing files: Check only wants them present
	t.Setenv("FWPLAIN", "/bin/sh")
	t.Setenv("FWSIM", "/bin/sh")
	s, err := compareBench().settings(io.Discard)
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, s.Duration, "BENCH_QUICK=1: 10 s per run")
	require.Equal(t, []string{"slow"}, s.Workloads)
	require.Equal(t, []int{20, 40}, s.Users)
	require.Equal(t, []string{"native", "websockets", "plain"}, s.Clients)
	require.Zero(t, s.Settle)

	t.Setenv("BENCH_STREAMS", "100")
	sc, err := scaleBench().settings(io.Discard)
	require.NoError(t, err)
	require.Equal(t, []int{100}, sc.Users, "scale reads BENCH_STREAMS")
	require.Equal(t, 20*time.Second, sc.Ramp)
	require.True(t, sc.Profile)

	for name, bad := range map[string]string{"BENCH_DURATION": "1.5s", "BENCH_USERS": "many", "BENCH_CLIENTS": "curl"} {
		t.Run(name, func(t *testing.T) {
			t.Setenv(name, bad)
			_, err := compareBench().settings(io.Discard)
			require.Error(t, err)
		})
	}
	t.Setenv("FW_K6", "/nonexistent/k6")
	_, err = compareBench().settings(io.Discard)
	require.ErrorContains(t, err, "/nonexistent/k6 is missing")
}

func TestDashboardEnvDefaultsAndOverrides(t *testing.T) {
	t.Setenv("K6_WEB_DASHBOARD_PORT", "7777")
	t.Setenv("K6_WEB_DASHBOARD_EXPORT", "")
	env := dashboardEnv("out/x")
	require.True(t, slices.Contains(env, "K6_WEB_DASHBOARD_PORT=7777"), "the environment wins")
	require.True(t, slices.Contains(env, "K6_WEB_DASHBOARD_EXPORT=out/x/report.html"), "empty means the default")
	require.True(t, slices.Contains(env, "FW_OUT_DIR=out/x"))
	require.True(t, slices.Contains(env, "K6_NO_USAGE_REPORT=true"))
}

func TestDispatchRefusesUnknownCommands(t *testing.T) {
	var stderr bytes.Buffer
	require.Equal(t, 2, dispatch(nil, io.Discard, &stderr))
	require.Equal(t, 2, dispatch([]string{"benchmark"}, io.Discard, &stderr))
	require.True(t, strings.Contains(stderr.String(), `unknown command "benchmark"`))
	require.Equal(t, 0, dispatch([]string{"help"}, io.Discard, io.Discard))
	require.Equal(t, 1, dispatch([]string{"table", t.TempDir()}, io.Discard, io.Discard), "no result.json")
}

func TestWidenReportAxesOnlyWhenTheConstantIsFoundOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write := func(name, body string) string {
		p := dir + "/" + name
		require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
		return p
	}
	var warn bytes.Buffer
	p := write("ok.html", `x=1,Yw=70,$c=Q.sync("chart");`)
	widenReportAxes(p, &warn)
	b, err := os.ReadFile(p) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	require.Equal(t, `x=1,Yw=96,$c=Q.sync("chart");`, string(b))
	require.Empty(t, warn.String())

	p = write("other.html", `no such constant`)
	widenReportAxes(p, &warn)
	require.Contains(t, warn.String(), "the dashboard's axis width was not found")
	widenReportAxes(dir+"/missing.html", &warn) // no report: nothing to do
}
