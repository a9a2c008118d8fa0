package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// scenario is one run of the bundled scenario (or FW_SCRIPT) with ./k6, against its own fwsim
// unless FW_CHAT_URL is set: what `make run` and `make smoke` do, and what the soak repeats.
//
// Knobs (scenarioFlags): -k6 FW_K6, -fwsim FW_FWSIM, -fwsim-flags FW_FWSIM_FLAGS, -port FW_PORT,
// -script FW_SCRIPT, -out FW_OUT_DIR, -k6-flags FW_K6_FLAGS; and the k6 web dashboard's
// K6_WEB_DASHBOARD_* (the HTML report goes to FW_OUT_DIR/report.html). Every other FW_* variable
// reaches the script through the environment.
type scenario struct {
	k6, fwsim, script, outDir string
	fwsimFlags, k6Flags       []string
	port                      string
	extraEnv                  []string                  // added to k6's environment (the soak's)
	k6Stdout, k6Stderr        io.Writer                 // k6's output
	started                   func(k6 *harness.Process) // called once k6 runs (the soak samples it)
	simStarted                func(sim *harness.Fwsim)  // called once the managed fwsim runs
}

// scenarioKnobs are the knobs of a scenario run, as given.
type scenarioKnobs struct {
	k6, fwsim, script, outDir string
	fwsimFlags, k6Flags, port string
}

// scenarioFlags defines the knobs of a scenario run; outDir is the default output directory.
func scenarioFlags(fs *knob.FlagSet, outDir string) *scenarioKnobs {
	k := &scenarioKnobs{}
	fs.StringVar(&k.k6, "k6", "FW_K6", "./k6", "k6 built with the extension")
	fs.StringVar(&k.fwsim, "fwsim", "FW_FWSIM", "./bin/fwsim", "fwsim binary started when FW_CHAT_URL is unset")
	fs.StringVar(&k.fwsimFlags, "fwsim-flags", "FW_FWSIM_FLAGS", "", `extra fwsim flags, e.g. "-hz 60"`)
	fs.StringVar(&k.port, "port", "FW_PORT", "8080", "the managed fwsim's loopback port")
	fs.StringVar(&k.script, "script", "FW_SCRIPT", "examples/featherweight-load.js", "the k6 script")
	fs.StringVar(&k.outDir, "out", "FW_OUT_DIR", outDir, "directory for summary.json, report.html and logs")
	fs.StringVar(&k.k6Flags, "k6-flags", "FW_K6_FLAGS", "", `extra k6 run flags, e.g. "--quiet"`)
	return k
}

// scenario is the run the knobs describe, k6's output to stdout and stderr.
func (k *scenarioKnobs) scenario(stdout, stderr io.Writer) scenario {
	return scenario{
		k6: k.k6, fwsim: k.fwsim, script: k.script, outDir: k.outDir,
		fwsimFlags: strings.Fields(k.fwsimFlags), k6Flags: strings.Fields(k.k6Flags),
		port: k.port, k6Stdout: stdout, k6Stderr: stderr,
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
	widenReportAxes(report, sc.k6Stderr)
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
// failed, 104/107 script errors). -measure (FW_MEASURE=1) also samples k6 and fwsim every 2 s and
// writes their peak RSS and CPU to FW_OUT_DIR/resources.txt.
func runCmd(ctx context.Context, args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
	fs := knob.New("run", env, stderr)
	k := scenarioFlags(fs, "out")
	var measured bool
	fs.BoolVar(&measured, "measure", "FW_MEASURE", false, "sample k6's and fwsim's RSS and CPU (resources.txt)")
	if code, done := parseKnobs(fs, args, stderr, "run",
		"Runs the bundled scenario against its own fwsim (unless FW_CHAT_URL is set); exits with k6's code."); done {
		return code
	}
	sc := k.scenario(stdout, stderr)
	if !measured {
		return sc.run(ctx, stdout)
	}
	return measure(ctx, sc, stdout)
}
