package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/capacity"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
	"github.com/featherweight/xk6-featherweight/internal/process"
)

const capacityUsage = `usage: k6 x featherweight capacity [flags]
  Searches for the largest number of concurrent users at which a chat backend still meets every
  threshold of the bundled scenario, and names the threshold that breaks first past it
  (docs/capacity.md). Each step is one run of the scenario by this k6 binary (-k6) with FW_VUS set
  to the step's users; k6's own threshold verdicts judge it. The scenario's FW_* variables (FW_CHAT_URL,
  FW_METRICS_URL, FW_HEALTHZ_URL, FW_THINK, ...) pass through to every step; without FW_CHAT_URL it
  starts the reference backend (-fwsim) on a free loopback port for the whole search.
  Exit: 0 a verdict (a knee, no knee below -max, or capacity below -min), 99 the capacity is below
  -require, 4 the verdict did not hold in its -confirm re-runs (unstable), 5 the search ended early
  (time budget, k6 error, interrupted), 2 bad options (docs/tools.md).
`

// capacityConfig is the command line.
type capacityConfig struct {
	opts             capacity.Options
	strategy         string
	hold, ramp       time.Duration
	rampDown, budget time.Duration
	k6, script       string
	fwsim            string
	fwsimFlags       string
	out              string
	chart            string
	require          int
	chatURL          string
}

func defineCapacityFlags(fs *knob.FlagSet, env knob.LookupEnv) *capacityConfig {
	c := &capacityConfig{}
	fs.IntVar(&c.opts.Min, "min", "FW_CAPACITY_MIN", 100, "fewest users to try")
	fs.IntVar(&c.opts.Max, "max", "FW_CAPACITY_MAX", 1000, "most users to try")
	fs.IntVar(&c.opts.Step, "step", "FW_CAPACITY_STEP", 100, "users between steps, and the bisection's resolution")
	fs.IntVar(&c.opts.Confirm, "confirm", "FW_CAPACITY_CONFIRM", 0,
		"re-run the last passing and the first failing step this many times; the knee stands only when it "+
			"holds in the majority, else the search is unstable (exit 4); 0 = no re-runs")
	fs.StringVar(&c.strategy, "strategy", "FW_CAPACITY_STRATEGY", string(capacity.StrategyStep),
		"step (min, min+step, ... until one fails) or bisect")
	fs.DurationVar(&c.hold, "hold", "FW_CAPACITY_HOLD", 30*time.Second, "how long each step holds its users")
	fs.DurationVar(&c.ramp, "ramp", "FW_CAPACITY_RAMP", 5*time.Second, "ramp to the step's users")
	fs.DurationVar(&c.rampDown, "ramp-down", "FW_CAPACITY_RAMP_DOWN", time.Second, "ramp down after the hold")
	fs.DurationVar(&c.budget, "timeout", "FW_CAPACITY_TIMEOUT", 30*time.Minute,
		"bound on the whole search; a step that would not fit is not started; 0 = none")
	fs.StringVar(&c.k6, "k6", "FW_K6", "", "k6 binary built with the extension (default: this k6)")
	fs.StringVar(&c.script, "script", "FW_SCRIPT", defaultScript(env),
		"the scenario whose thresholds judge each step (default examples/featherweight-load.js, "+
			"else $FW_EXAMPLES/featherweight-load.js)")
	fs.StringVar(&c.fwsim, "fwsim", "FW_FWSIM", "bin/fwsim", "fwsim binary started when FW_CHAT_URL is unset")
	fs.StringVar(&c.fwsimFlags, "fwsim-flags", "FW_FWSIM_FLAGS", "", `extra fwsim flags, e.g. "-capacity 600"`)
	fs.StringVar(&c.out, "out", "FW_CAPACITY_OUT", "out/capacity.json",
		"the JSON report; the steps' k6 output goes beside it")
	fs.StringVar(&c.chart, "chart", "FW_CAPACITY_CHART", "", "the SVG chart (default: the report's name with .svg)")
	fs.IntVar(&c.require, "require", "FW_CAPACITY_REQUIRE", 0,
		"exit 99 when the capacity found is below this many users; 0 = no gate")
	if v, ok := env("FW_CHAT_URL"); ok {
		c.chatURL = v
	}
	return c
}

// parseCapacity reads the command line; done is true when the command ends here with code (help,
// or a bad option, named on stderr).
func parseCapacity(args []string, env knob.LookupEnv, stderr io.Writer) (*capacityConfig, int, bool) {
	// The search steps the closed model's users (FW_VUS): under the open model (FW_ARRIVAL=poisson)
	// the users are not the load, the arrival rate is. Refuse rather than search the wrong knob.
	if a, _ := env("FW_ARRIVAL"); a != "" && a != "closed" {
		failf(stderr, "capacity", "FW_ARRIVAL=%s: the capacity search steps the closed model's users (FW_VUS); "+
			"unset FW_ARRIVAL, or find an open-model rate with runs at several FW_RATE (docs/workloads.md)", a)
		return nil, exitcode.BadInput, true
	}
	fs := knob.New("capacity", env, stderr)
	fs.Usage = func() { usage(stderr, capacityUsage, fs) }
	c := defineCapacityFlags(fs, env)
	if code, done := parseFlags(fs, args, stderr, "capacity"); done {
		return nil, code, true
	}
	if err := c.check(fs); err != nil {
		failf(stderr, "capacity", "%v", err)
		return nil, exitcode.BadInput, true
	}
	return c, 0, false
}

// check validates the options and fills the defaults that depend on others.
func (c *capacityConfig) check(fs *knob.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	for name, d := range map[string]time.Duration{"hold": c.hold, "ramp": c.ramp, "ramp-down": c.rampDown} {
		if d < 0 {
			return fmt.Errorf("-%s %s: must not be negative", name, d)
		}
	}
	c.opts.Strategy = capacity.Strategy(c.strategy)
	c.opts.Budget = c.budget
	if c.chart == "" {
		c.chart = strings.TrimSuffix(c.out, filepath.Ext(c.out)) + ".svg"
	}
	if c.k6 == "" {
		exe, err := os.Executable()
		if err != nil {
			return fmt.Errorf("this k6's path (set -k6): %w", err)
		}
		c.k6 = exe
	}
	return c.opts.Validate()
}

// defaultScript is the checkout's bundled scenario, else the image's copy under $FW_EXAMPLES.
func defaultScript(env knob.LookupEnv) string {
	const local = "examples/featherweight-load.js"
	if _, err := os.Stat(local); err != nil {
		if dir, _ := env("FW_EXAMPLES"); dir != "" {
			return filepath.Join(dir, "featherweight-load.js")
		}
	}
	return local
}

// stepEstimate is a step's expected wall time: ramp, hold, ramp-down, k6's start and its graceful
// ramp-down (an iteration in flight finishes: up to a few turns with think time).
func (c *capacityConfig) stepEstimate() time.Duration {
	return c.ramp + c.hold + c.rampDown + 15*time.Second
}

// runCapacity is `k6 x featherweight capacity`: it returns the exit code.
func runCapacity(ctx context.Context, args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
	c, code, done := parseCapacity(args, env, stderr)
	if done {
		return code
	}
	for _, f := range []struct{ name, path string }{{"k6 (FW_K6)", c.k6}, {"script (FW_SCRIPT)", c.script}} {
		if _, err := os.Stat(f.path); err != nil {
			failf(stderr, "capacity", "%s: %v", f.name, err)
			return exitcode.BadInput
		}
	}
	runner := &capacity.K6Runner{
		K6: c.k6, Script: c.script, OutDir: filepath.Join(filepath.Dir(c.out), "capacity"),
		Ramp: c.ramp.String(), Hold: c.hold.String(), RampDown: c.rampDown.String(),
	}
	target := c.chatURL
	if target == "" {
		sim, code := c.startBackend(ctx, runner, stderr)
		if sim == nil {
			return code
		}
		defer func() { _ = sim.Stop() }()
		target = sim.URL + " (fwsim " + c.fwsimFlags + ")"
	}
	c.opts.StepEstimate = c.stepEstimate()
	c.opts.Progress = stderr
	printf(stderr, "capacity: %s search %d..%d users (step %d) against %s; each step: ramp %s, hold %s; "+
		"budget %s; re-runs of the deciding steps %d\n", c.opts.Strategy, c.opts.Min, c.opts.Max, c.opts.Step,
		strings.TrimSpace(target), c.ramp, c.hold, c.budget, c.opts.Confirm)
	rep, searchErr := capacity.Search(ctx, c.opts, runner)
	if rep == nil {
		failf(stderr, "capacity", "%v", searchErr)
		return exitcode.BadInput
	}
	return c.report(rep, searchErr, stdout, stderr)
}

// startBackend starts the managed fwsim for the search and points the steps at it; nil and the
// exit code when it cannot.
func (c *capacityConfig) startBackend(ctx context.Context, runner *capacity.K6Runner, stderr io.Writer) (
	*process.Fwsim, int,
) {
	if _, err := os.Stat(c.fwsim); err != nil {
		failf(stderr, "capacity", "FW_CHAT_URL is unset and there is no fwsim to start (FW_FWSIM=%s): set "+
			"FW_CHAT_URL (and FW_METRICS_URL, FW_HEALTHZ_URL) to test a backend, or build bin/fwsim (make fwsim)",
			c.fwsim)
		return nil, exitcode.BadInput
	}
	sim, err := startFwsim(ctx, c.fwsim, c.fwsimFlags, filepath.Join(runner.OutDir, "fwsim.log"))
	if err != nil {
		failf(stderr, "capacity", "%v", err)
		return nil, exitcode.Error
	}
	for k, v := range sim.ScenarioEnv() {
		runner.Env = append(runner.Env, k+"="+v)
	}
	runner.BackendPID = sim.PID()
	return sim, 0
}

// report writes the search's report, chart and table, and returns the exit code of its verdict.
func (c *capacityConfig) report(rep *capacity.Report, searchErr error, stdout, stderr io.Writer) int {
	if len(rep.Steps) > 0 {
		rep.Chart = c.chart
		if err := rep.WriteChart(c.chart); err != nil {
			failf(stderr, "capacity", "chart: %v", err)
			rep.Chart = ""
		}
	}
	if err := rep.WriteJSON(c.out); err != nil {
		failf(stderr, "capacity", "%v", err)
		return exitcode.Error
	}
	printf(stdout, "\n")
	if err := rep.WriteTable(stdout); err != nil {
		return exitcode.Error
	}
	printf(stdout, "report %s, chart %s, %.0f s\n", c.out, rep.Chart, rep.Seconds)
	switch {
	case searchErr != nil:
		failf(stderr, "capacity", "%v", searchErr)
		return exitcode.Incomplete
	case rep.Verdict == capacity.VerdictIncomplete:
		return exitcode.Incomplete
	case rep.Verdict == capacity.VerdictUnstable:
		return exitcode.Unstable
	case c.require > 0 && rep.Capacity < c.require:
		printf(stdout, "FAIL: capacity %d users is below the required %d (FW_CAPACITY_REQUIRE)\n", rep.Capacity, c.require)
		return exitcode.Failed
	}
	return exitcode.Pass
}

// startFwsim starts the managed fwsim on a free loopback port, its output in logPath, and waits for
// a healthy loop (a fresh loop reports a low Hz for its first window) before the first step.
func startFwsim(ctx context.Context, binary, flags, logPath string) (*process.Fwsim, error) {
	// #nosec G301 -- the output directory the user names (-out), shared with the report they read
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(logPath) // #nosec G304 -- fwsim.log beside the report, under the user's -out
	if err != nil {
		return nil, err
	}
	sim, err := process.StartFwsim(ctx, process.FwsimOptions{Binary: binary, Flags: strings.Fields(flags), Log: log})
	if err != nil {
		_ = log.Close()
		return nil, fmt.Errorf("%w; see %s", err, logPath)
	}
	go func() { // the log is fwsim's until it exits
		<-sim.Done()
		_ = log.Close()
	}()
	// A degraded backend (fwsim -hz 60) never turns healthy: the steps' thresholds judge it.
	_, _ = process.WaitHealthy(ctx, sim.URL+"/healthz", 5*time.Second)
	return sim, nil
}
