// Command fwcapacity searches for the largest number of concurrent users at which a chat backend
// still meets every threshold of the bundled k6 scenario (examples/featherweight-load.js), and
// names the threshold that breaks first past it. See docs/capacity.md.
//
// Each step is one `k6 run` of the scenario with FW_VUS set to the step's users; k6's own threshold
// verdicts judge it. Without FW_CHAT_URL it starts bin/fwsim on a free loopback port (with
// FW_FWSIM_FLAGS, e.g. "-capacity 600") for the whole search.
//
// Every flag defaults to an environment variable (shown in -h), so `make capacity` and a container
// both set them with FW_* variables. Exit status: 0 when the search reached a verdict (a knee, no
// knee below the maximum, or capacity below the minimum), 1 when it ended early (time budget, k6
// error), 2 on bad options, 3 when the capacity is below FW_CAPACITY_REQUIRE, 4 when the verdict
// did not hold in the majority of its FW_CAPACITY_CONFIRM re-runs (unstable).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/fwbench/internal/capacity"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// config is the command line, with defaults from the environment.
type config struct {
	opts       capacity.Options
	strategy   string
	hold, ramp string
	rampDown   string
	budget     time.Duration
	k6, script string
	fwsim      string
	fwsimFlags string
	out        string
	chart      string
	require    int
}

func env(name, dflt string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return dflt
}

func envInt(name string, dflt int) (int, error) {
	v := env(name, "")
	if v == "" {
		return dflt, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("%s=%q: expected an integer", name, v)
	}
	return n, nil
}

func parse(args []string, stderr io.Writer) (config, error) {
	var c config
	var err error
	// The search steps the closed model's users (FW_VUS): under the open model (FW_ARRIVAL=poisson)
	// the users are not the load, the arrival rate is. Refuse rather than search the wrong knob.
	if a := env("FW_ARRIVAL", "closed"); a != "closed" {
		return c, fmt.Errorf("FW_ARRIVAL=%s: the capacity search steps the closed model's users (FW_VUS); "+
			"unset FW_ARRIVAL, or find an open-model rate with runs at several FW_RATE (docs/workloads.md)", a)
	}
	ints := map[string]*int{
		"FW_CAPACITY_MIN": &c.opts.Min, "FW_CAPACITY_MAX": &c.opts.Max, "FW_CAPACITY_STEP": &c.opts.Step,
		"FW_CAPACITY_CONFIRM": &c.opts.Confirm,
	}
	dflt := map[string]int{
		"FW_CAPACITY_MIN": 100, "FW_CAPACITY_MAX": 1000, "FW_CAPACITY_STEP": 100, "FW_CAPACITY_CONFIRM": 0,
	}
	for name, p := range ints {
		if *p, err = envInt(name, dflt[name]); err != nil {
			return c, err
		}
	}
	budget, err := time.ParseDuration(env("FW_CAPACITY_TIMEOUT", "30m"))
	if err != nil {
		return c, fmt.Errorf("FW_CAPACITY_TIMEOUT: %w", err)
	}
	fs := flag.NewFlagSet("fwcapacity", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&c.opts.Min, "min", c.opts.Min, "fewest users to try (FW_CAPACITY_MIN)")
	fs.IntVar(&c.opts.Max, "max", c.opts.Max, "most users to try (FW_CAPACITY_MAX)")
	fs.IntVar(&c.opts.Step, "step", c.opts.Step, "users between steps, and the bisection's resolution (FW_CAPACITY_STEP)")
	fs.IntVar(&c.opts.Confirm, "confirm", c.opts.Confirm,
		"re-run the last passing and the first failing step this many times; the knee stands only when it "+
			"holds in the majority, else the search is unstable (exit 4) (FW_CAPACITY_CONFIRM; 0 = no re-runs)")
	fs.StringVar(&c.strategy, "strategy", env("FW_CAPACITY_STRATEGY", "step"),
		"step (min, min+step, ... until one fails) or bisect (FW_CAPACITY_STRATEGY)")
	fs.StringVar(&c.hold, "hold", env("FW_CAPACITY_HOLD", "30s"), "how long each step holds its users (FW_CAPACITY_HOLD)")
	fs.StringVar(&c.ramp, "ramp", env("FW_CAPACITY_RAMP", "5s"), "ramp to the step's users (FW_CAPACITY_RAMP)")
	fs.StringVar(&c.rampDown, "ramp-down", env("FW_CAPACITY_RAMP_DOWN", "1s"),
		"ramp down after the hold (FW_CAPACITY_RAMP_DOWN)")
	fs.DurationVar(&c.budget, "timeout", budget,
		"bound on the whole search; a step that would not fit is not started (FW_CAPACITY_TIMEOUT; 0 = none)")
	fs.StringVar(&c.k6, "k6", env("FW_K6", defaultK6()),
		"k6 binary built with the extension (FW_K6; default ./k6, else k6 on PATH)")
	fs.StringVar(&c.script, "script", env("FW_SCRIPT", defaultScript()),
		"the scenario whose thresholds judge each step "+
			"(FW_SCRIPT; default examples/featherweight-load.js, else $FW_EXAMPLES/featherweight-load.js)")
	fs.StringVar(&c.fwsim, "fwsim", env("FW_FWSIM", "bin/fwsim"),
		"fwsim binary started when FW_CHAT_URL is unset (FW_FWSIM)")
	fs.StringVar(&c.fwsimFlags, "fwsim-flags", env("FW_FWSIM_FLAGS", ""),
		`extra fwsim flags, e.g. "-capacity 600" (FW_FWSIM_FLAGS)`)
	fs.StringVar(&c.out, "out", env("FW_CAPACITY_OUT", "out/capacity.json"),
		"the JSON report; the steps' k6 output goes beside it (FW_CAPACITY_OUT)")
	fs.StringVar(&c.chart, "chart", env("FW_CAPACITY_CHART", ""),
		"the chart, .png or .svg (FW_CAPACITY_CHART; default: the report's name with .png)")
	req, err := envInt("FW_CAPACITY_REQUIRE", 0)
	if err != nil {
		return c, err
	}
	fs.IntVar(&c.require, "require", req,
		"exit 3 when the capacity found is below this many users (FW_CAPACITY_REQUIRE; 0 = no gate)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for name, d := range map[string]string{"hold": c.hold, "ramp": c.ramp, "ramp-down": c.rampDown} {
		if _, err := time.ParseDuration(d); err != nil {
			return c, fmt.Errorf("-%s %q: %w", name, d, err)
		}
	}
	c.opts.Strategy = capacity.Strategy(c.strategy)
	c.opts.Budget = c.budget
	if c.chart == "" {
		c.chart = strings.TrimSuffix(c.out, filepath.Ext(c.out)) + ".png"
	}
	return c, c.opts.Validate()
}

// defaultK6 is ./k6 (a checkout after `make build`), else k6 on PATH (the fw-k6 image).
func defaultK6() string {
	if _, err := os.Stat("k6"); err == nil {
		return "./k6"
	}
	if p, err := exec.LookPath("k6"); err == nil {
		return p
	}
	return "./k6"
}

// defaultScript is the checkout's bundled scenario, else the image's copy under $FW_EXAMPLES.
func defaultScript() string {
	const local = "examples/featherweight-load.js"
	if _, err := os.Stat(local); err != nil {
		if dir := os.Getenv("FW_EXAMPLES"); dir != "" {
			return filepath.Join(dir, "featherweight-load.js")
		}
	}
	return local
}

// stepEstimate is a step's expected wall time: ramp, hold, ramp-down, k6's start and its graceful
// ramp-down (an iteration in flight finishes: up to a few turns with think time).
func (c config) stepEstimate() time.Duration {
	d := func(s string) time.Duration { v, _ := time.ParseDuration(s); return v }
	return d(c.ramp) + d(c.hold) + d(c.rampDown) + 15*time.Second
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	c, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		failf(stderr, "%v", err)
		return 2
	}
	for _, f := range []struct{ name, path string }{{"k6 (FW_K6)", c.k6}, {"script (FW_SCRIPT)", c.script}} {
		if _, err := os.Stat(f.path); err != nil {
			failf(stderr, "%s: %v", f.name, err)
			return 2
		}
	}
	runner := &capacity.K6Runner{
		K6: c.k6, Script: c.script, OutDir: filepath.Join(filepath.Dir(c.out), "capacity"),
		Ramp: c.ramp, Hold: c.hold, RampDown: c.rampDown,
	}
	target := os.Getenv("FW_CHAT_URL")
	if target == "" {
		if _, err := os.Stat(c.fwsim); err != nil {
			failf(stderr, "FW_CHAT_URL is unset and there is no fwsim to start (FW_FWSIM=%s): set FW_CHAT_URL "+
				"(and FW_METRICS_URL, FW_HEALTHZ_URL) to test a backend, or build bin/fwsim (make fwsim)", c.fwsim)
			return 2
		}
		sim, err := startFwsim(ctx, c, filepath.Join(runner.OutDir, "fwsim.log"))
		if err != nil {
			failf(stderr, "%v", err)
			return 2
		}
		defer func() { _ = sim.Stop() }()
		for k, v := range sim.ScenarioEnv() {
			runner.Env = append(runner.Env, k+"="+v)
		}
		runner.BackendPID = sim.PID()
		target = sim.URL + " (fwsim " + c.fwsimFlags + ")"
	}
	c.opts.StepEstimate = c.stepEstimate()
	c.opts.Progress = stderr
	printf(stderr, "capacity: %s search %d..%d users (step %d) against %s; each step: ramp %s, hold %s; "+
		"budget %s; re-runs of the deciding steps %d\n", c.opts.Strategy, c.opts.Min, c.opts.Max, c.opts.Step,
		strings.TrimSpace(target), c.ramp, c.hold, c.budget, c.opts.Confirm)

	rep, searchErr := capacity.Search(ctx, c.opts, runner)
	if rep == nil {
		failf(stderr, "%v", searchErr)
		return 2
	}
	if len(rep.Steps) > 0 {
		rep.Chart = c.chart
		if err := rep.WriteChart(c.chart); err != nil {
			failf(stderr, "chart: %v", err)
			rep.Chart = ""
		}
	}
	if err := rep.WriteJSON(c.out); err != nil {
		failf(stderr, "%v", err)
		return 1
	}
	printf(stdout, "\n")
	if err := rep.WriteTable(stdout); err != nil {
		return 1
	}
	printf(stdout, "report %s, chart %s, %.0f s\n", c.out, rep.Chart, rep.Seconds)
	if searchErr != nil {
		failf(stderr, "%v", searchErr)
		return 1
	}
	if rep.Verdict == capacity.VerdictIncomplete {
		return 1
	}
	if rep.Verdict == capacity.VerdictUnstable {
		return 4
	}
	if c.require > 0 && rep.Capacity < c.require {
		printf(stdout, "FAIL: capacity %d users is below the required %d (FW_CAPACITY_REQUIRE)\n", rep.Capacity, c.require)
		return 3
	}
	return 0
}

// startFwsim starts the managed fwsim on a free loopback port, its output in logPath, and waits for
// a healthy loop (a fresh loop reports a low Hz for its first window) before the first step.
func startFwsim(ctx context.Context, c config, logPath string) (*harness.Fwsim, error) {
	// #nosec G301 -- the output directory the user names (-out), shared with the report they read
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(logPath) // #nosec G304 -- fwsim.log beside the report, under the user's -out
	if err != nil {
		return nil, err
	}
	sim, err := harness.StartFwsim(ctx, harness.FwsimOptions{
		Binary: c.fwsim, Flags: strings.Fields(c.fwsimFlags), Log: log,
	})
	if err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("%w; see %s", err, logPath)
	}
	go func() { // the log is fwsim's until it exits
		<-sim.Done()
		_ = log.Close()
	}()
	// A degraded backend (fwsim -hz 60) never turns healthy: the steps' thresholds judge it.
	_, _ = harness.WaitHealthy(ctx, sim.URL+"/healthz", 5*time.Second)
	return sim, nil
}

// printf writes a line of the command's output; a failed write to the terminal has nowhere to be reported.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

// failf reports a failure on stderr, prefixed with the command's name.
func failf(stderr io.Writer, format string, args ...any) {
	printf(stderr, "fwcapacity: "+format+"\n", args...)
}
