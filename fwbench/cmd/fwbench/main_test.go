package main

import (
	"bytes"
	"flag"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/bench"
	"github.com/featherweight/xk6-featherweight/internal/knob"
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

// benchSettings parses a benchmark's knobs from args and env as benchCmd does.
func benchSettings(b benchmark, args []string, env map[string]string) (bench.Settings, error) {
	fs := knob.New(b.name, knob.MapEnv(env), io.Discard)
	k := b.flags(fs)
	if err := fs.Parse(args); err != nil {
		return bench.Settings{}, err
	}
	durationSet := env["FW_BENCH_DURATION"] != ""
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	return b.settings(k, durationSet, io.Discard)
}

func TestBenchKnobsFromFlagsAndEnvironment(t *testing.T) {
	t.Parallel()
	env := map[string]string{
		"FW_BENCH_QUICK": "1", "FW_BENCH_WORKLOADS": "slow", "FW_BENCH_USERS": "20 40", "FW_BENCH_SETTLE": "0s",
		"FW_K6": "/bin/sh", "FW_FWPLAIN": "/bin/sh", "FW_FWSIM": "/bin/sh", // any existing files: Check only wants them present
	}
	s, err := benchSettings(sideBySideBench(), nil, env)
	require.NoError(t, err)
	require.Equal(t, 10*time.Second, s.Duration, "-quick: 10 s per run")
	require.Equal(t, []string{"slow"}, s.Workloads)
	require.Equal(t, []int{20, 40}, s.Users)
	require.Equal(t, []string{"native", "websockets", "plain"}, s.Clients)
	require.Zero(t, s.Settle)

	s, err = benchSettings(sideBySideBench(), []string{"-duration", "15s", "-users", "5"}, env)
	require.NoError(t, err)
	require.Equal(t, 15*time.Second, s.Duration, "a -duration given wins over -quick")
	require.Equal(t, []int{5}, s.Users, "a flag wins over its variable")

	env["FW_BENCH_STREAMS"] = "100"
	sc, err := benchSettings(scaleBench(), nil, env)
	require.NoError(t, err)
	require.Equal(t, []int{100}, sc.Users, "scale reads -streams (FW_BENCH_STREAMS)")
	require.Equal(t, 20*time.Second, sc.Ramp)
	require.True(t, sc.Profile)
	_, err = benchSettings(scaleBench(), []string{"-quick"}, env)
	require.Error(t, err, "scale has no -quick")

	for name, bad := range map[string]string{"FW_BENCH_DURATION": "1.5", "FW_BENCH_USERS": "many", "FW_BENCH_CLIENTS": "curl"} {
		bent := map[string]string{}
		maps.Copy(bent, env)
		bent[name] = bad
		_, err := benchSettings(sideBySideBench(), nil, bent)
		require.Error(t, err, name)
	}
	env["FW_K6"] = "/nonexistent/k6"
	_, err = benchSettings(sideBySideBench(), nil, env)
	require.ErrorContains(t, err, "/nonexistent/k6 is missing")
}

func TestARenamedVariableIsRefusedNotIgnored(t *testing.T) {
	t.Parallel()
	err := refuseRenamed(knob.MapEnv(map[string]string{"BENCH_STREAMS": "100", "FW_BENCH_USERS": "5"}))
	require.ErrorContains(t, err, "BENCH_STREAMS is set: it was renamed FW_BENCH_STREAMS")
	require.NoError(t, refuseRenamed(knob.MapEnv(map[string]string{"FW_BENCH_STREAMS": "100", "K6": ""})))
}

func TestCommandsPrintTheirKnobsAndRefuseBadOnes(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"run", "soak", "sidebyside", "scale"} {
		var stderr bytes.Buffer
		require.Equal(t, 0, dispatch([]string{cmd, "-h"}, io.Discard, &stderr), cmd)
		require.Contains(t, stderr.String(), "[FW_K6] (default ./k6)", cmd)
		require.Contains(t, stderr.String(), "a flag given wins over its variable", cmd)
	}
	var stderr bytes.Buffer
	require.Equal(t, 2, dispatch([]string{"soak", "-every", "10"}, io.Discard, &stderr), "a duration needs its unit")
	require.Equal(t, 2, dispatch([]string{"run", "extra"}, io.Discard, &stderr))
	require.Contains(t, stderr.String(), "unexpected arguments")
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

// bundleExcerpt holds the three places of the xk6-dashboard v0.8.1 report bundle that patchReport
// changes, as minified in that bundle.
const bundleExcerpt = `x=1,Yw=70,$c=Q.sync("chart");` +
	`unit(e,t){switch(n.type){case"trend":switch(n.contains){case"time":return"duration";case"data":return"bps";` +
	`default:return"rps"}default:return""}}` +
	`function Ki(e,t,n=!1){switch(e){case _n.bps:return Bo(t)+"/s";case _n.rps:return jl(t).format("0.[00]a")+"/s";}}`

func TestPatchReportWidensTheAxesAndLabelsTheLoopInHz(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := dir + "/report.html"
	require.NoError(t, os.WriteFile(p, []byte(bundleExcerpt), 0o600))
	var warn bytes.Buffer
	patchReport(p, &warn)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Empty(t, warn.String())
	require.Equal(t, `x=1,Yw=96,$c=Q.sync("chart");`+
		`unit(e,t){switch(n.type){case"trend":switch(n.contains){case"time":return"duration";case"data":return"bps";`+
		`default:return n.name.startsWith("fw_loop_hz")?"hz":"rps"}default:return""}}`+
		`function Ki(e,t,n=!1){switch(e){case _n.bps:return Bo(t)+"/s";`+
		`case"hz":return jl(t).format("0.[0]")+" Hz";case _n.rps:return jl(t).format("0.[00]a")+"/s";}}`, string(b))
}

func TestPatchReportSkipsWhatTheBundleDoesNotHaveExactlyOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := dir + "/other.html"
	// the axis constant twice, no unit switch: only the value format is patched
	body := `x=1,Yw=70,$c=Q.sync("chart");x=1,Yw=70,$c=Q.sync("chart");case _n.rps:return jl(t).format("0")`
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	var warn bytes.Buffer
	patchReport(p, &warn)
	b, err := os.ReadFile(p)
	require.NoError(t, err)
	require.Equal(t, `x=1,Yw=70,$c=Q.sync("chart");x=1,Yw=70,$c=Q.sync("chart");`+
		`case"hz":return jl(t).format("0.[0]")+" Hz";case _n.rps:return jl(t).format("0")`, string(b))
	require.Contains(t, warn.String(), "the axis width not found")
	require.Contains(t, warn.String(), "the unit of a Trend not found")
	require.NotContains(t, warn.String(), "the value format")

	warn.Reset()
	patchReport(dir+"/missing.html", &warn) // no report: nothing to do
	require.Empty(t, warn.String())
}
