package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// scenario is one run of the bundled scenario (or FW_SCRIPT) with ./k6, against its own fwsim
// unless FW_CHAT_URL is set: what `make run` and `make smoke` do, and what the soak repeats.
//
// Knobs: K6 (./k6), FWSIM (bin/fwsim), FWSIM_FLAGS, FW_PORT (8080), FW_SCRIPT, FW_OUT_DIR (out),
// K6_FLAGS, and the k6 web dashboard's K6_WEB_DASHBOARD_* (the HTML report goes to
// FW_OUT_DIR/report.html). Every other FW_* variable reaches the script through the environment.
type scenario struct {
	k6, fwsim, script, outDir string
	fwsimFlags, k6Flags       []string
	port                      string
	extraEnv                  []string                  // added to k6's environment (the soak's)
	k6Stdout, k6Stderr        io.Writer                 // k6's output
	started                   func(k6 *harness.Process) // called once k6 runs (the soak samples it)
	simStarted                func(sim *harness.Fwsim)  // called once the managed fwsim runs
}

func scenarioFromEnv(stdout, stderr io.Writer) scenario {
	return scenario{
		k6: env("K6", "./k6"), fwsim: env("FWSIM", "./bin/fwsim"),
		script: env("FW_SCRIPT", "examples/featherweight-load.js"), outDir: env("FW_OUT_DIR", "out"),
		fwsimFlags: strings.Fields(os.Getenv("FWSIM_FLAGS")), k6Flags: strings.Fields(os.Getenv("K6_FLAGS")),
		port: env("FW_PORT", "8080"), k6Stdout: stdout, k6Stderr: stderr,
	}
}

// dashboardEnv is the k6 web dashboard's settings, each overridable from the environment: loopback
// only, the chat layout, an HTML report when the test ends.
func dashboardEnv(outDir string) []string {
	var out []string
	for _, kv := range [][2]string{
		{"K6_WEB_DASHBOARD", "true"},
		{"K6_WEB_DASHBOARD_HOST", "127.0.0.1"},
		{"K6_WEB_DASHBOARD_PORT", "5665"},
		{"K6_WEB_DASHBOARD_PERIOD", "3s"}, // short runs need >1 snapshot for a report
		{"K6_WEB_DASHBOARD_EXPORT", filepath.Join(outDir, "report.html")},
		// TTFT, ITL, turns and errors by kind, tokens/s, the loop's Hz; error_kind keeps one series per kind.
		{"XK6_DASHBOARD_CONFIG", "examples/dashboard/featherweight.dashboard.json"},
		{"K6_WEB_DASHBOARD_TAGS", "group,error_kind"},
	} {
		out = append(out, kv[0]+"="+env(kv[0], kv[1]))
	}
	return append(out, "K6_NO_USAGE_REPORT=true", "FW_OUT_DIR="+outDir)
}

// run runs the scenario and returns k6's exit code; log receives fwbench's own lines.
func (sc scenario) run(ctx context.Context, log io.Writer) int {
	if err := os.MkdirAll(sc.outDir, 0o750); err != nil {
		printf(log, "fwbench run: %v\n", err)
		return 1
	}
	k6Env := append(dashboardEnv(sc.outDir), sc.extraEnv...)
	health := os.Getenv("FW_HEALTHZ_URL")
	var sim *harness.Fwsim
	if os.Getenv("FW_CHAT_URL") == "" {
		simLog, err := os.Create(filepath.Join(sc.outDir, "fwsim.log")) // #nosec G304 -- the run's output directory
		if err != nil {
			printf(log, "fwbench run: %v\n", err)
			return 1
		}
		defer func() { _ = simLog.Close() }()
		sim, err = harness.StartFwsim(ctx, harness.FwsimOptions{
			Binary: sc.fwsim, Addr: "127.0.0.1:" + sc.port, Flags: sc.fwsimFlags, Log: simLog,
		})
		if err != nil {
			printf(log, "%v; see %s\n", err, simLog.Name())
			return 1
		}
		defer func() { _ = sim.Stop() }()
		if sc.simStarted != nil {
			sc.simStarted(sim)
		}
		printf(log, "started fwsim (pid %d) on %s %s\n", sim.PID(), sim.URL, strings.Join(sc.fwsimFlags, " "))
		senv := sim.ScenarioEnv()
		k6Env = append(k6Env, "FW_CHAT_URL="+senv["FW_CHAT_URL"],
			"FW_METRICS_URL="+env("FW_METRICS_URL", senv["FW_METRICS_URL"]),
			"FW_HEALTHZ_URL="+env("FW_HEALTHZ_URL", senv["FW_HEALTHZ_URL"]))
		health = env("FW_HEALTHZ_URL", senv["FW_HEALTHZ_URL"])
	}
	if health != "" {
		// Ready when it answers 200 with status ok (a fresh fwsim says "degraded" until its loop
		// ticks); after 10 s the test starts anyway and the Hz thresholds judge the backend.
		h, err := harness.WaitHealthy(ctx, health, 10*time.Second)
		switch {
		case sim != nil && isDone(sim.Done()):
			printf(log, "fwsim exited; see %s\n", filepath.Join(sc.outDir, "fwsim.log"))
			return 1
		case err != nil:
			printf(log, "healthz: unreachable\n")
		default:
			printf(log, "healthz: %s\n", h.Body)
		}
	}
	args := append(append([]string{"run"}, sc.k6Flags...), sc.script)
	p, err := harness.StartProcess(ctx, harness.ProcessOptions{
		Path: sc.k6, Args: args, Env: k6Env, Stdout: sc.k6Stdout, Stderr: sc.k6Stderr,
	})
	if err != nil {
		printf(log, "fwbench run: %v\n", err)
		return 1
	}
	if sc.started != nil {
		sc.started(p)
	}
	exit, err := p.Wait()
	if err != nil {
		printf(log, "fwbench run: k6: %v\n", err)
	}
	report := env("K6_WEB_DASHBOARD_EXPORT", filepath.Join(sc.outDir, "report.html"))
	patchReport(report, sc.k6Stderr)
	printf(log, "k6 exit code: %d; summary: %s, report: %s\n", exit.Code, filepath.Join(sc.outDir, "summary.json"), report)
	return exit.Code
}

func isDone(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// runCmd is `fwbench run` (make run, make smoke). Exits with k6's exit code (0 pass, 99 thresholds
// failed, 104/107 script errors). FW_MEASURE=1 also samples k6 and fwsim every 2 s and writes their
// peak RSS and CPU to FW_OUT_DIR/resources.txt.
func runCmd(ctx context.Context, stdout, stderr io.Writer) int {
	sc := scenarioFromEnv(stdout, stderr)
	if os.Getenv("FW_MEASURE") != "1" {
		return sc.run(ctx, stdout)
	}
	return measure(ctx, sc, stdout)
}
