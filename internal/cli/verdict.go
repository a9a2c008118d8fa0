package cli

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
	"github.com/featherweight/xk6-featherweight/internal/verdict"
)

const verdictUsage = `usage: k6 x featherweight verdict [flags]
  Judges a distributed run of the bundled scenario as one run: merges the samples its runners
  remote-wrote to Prometheus under one FW_TESTID and evaluates the scenario's own thresholds on
  them. Prints the scenario's readable summary of the merged run; with -out, writes a summary.json
  that k6 x featherweight compare reads.
  Exit: 0 every threshold passed, 99 a threshold failed, 2 the run cannot be judged (no Prometheus,
  no samples, runners that disagree, a threshold that cannot be merged; never a pass) (docs/tools.md).
`

// runVerdict is `k6 x featherweight verdict`: it returns the exit code.
func runVerdict(ctx context.Context, args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
	fs := knob.New("verdict", env, stderr)
	fs.Usage = func() { usage(stderr, verdictUsage, fs) }
	var promURL, testid, out string
	var window, timeout time.Duration
	fs.StringVar(&promURL, "prometheus", "FW_PROMETHEUS_URL", "", "Prometheus base URL, e.g. http://prometheus:9090")
	fs.StringVar(&testid, "testid", "FW_TESTID", "", "the run's FW_TESTID")
	fs.StringVar(&out, "out", "FW_OUT_DIR", "", "directory for the merged run's summary.json (empty: none)")
	fs.DurationVar(&window, "window", "FW_VERDICT_WINDOW", verdict.DefaultWindow,
		"how far back the run's samples are looked for")
	fs.DurationVar(&timeout, "timeout", "FW_VERDICT_TIMEOUT", 2*time.Minute, "bound on all Prometheus queries together")
	if code, done := parseFlags(fs, args, stderr, "verdict"); done {
		return code
	}
	if fs.NArg() > 0 {
		failf(stderr, "verdict", "unexpected arguments %q", fs.Args())
		return exitcode.BadInput
	}
	if promURL == "" || testid == "" {
		failf(stderr, "verdict", "name the Prometheus server and the run: -prometheus URL -testid ID "+
			"(or FW_PROMETHEUS_URL, FW_TESTID)")
		return exitcode.BadInput
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, err := verdict.Evaluate(ctx, verdict.Options{URL: promURL, TestID: testid, Window: window})
	if err != nil {
		failf(stderr, "verdict", "%v", err)
		return exitcode.BadInput
	}
	if err := res.WriteText(stdout); err != nil {
		failf(stderr, "verdict", "%v", err)
		return exitcode.Error
	}
	if out != "" {
		if err := writeSummary(res, out); err != nil {
			failf(stderr, "verdict", "%v", err)
			return exitcode.Error
		}
	}
	if !res.Passed() {
		for _, o := range res.Failed() {
			failf(stderr, "verdict", "threshold failed on the merged run: %s", o)
		}
		return exitcode.Failed
	}
	return exitcode.Pass
}

// writeSummary writes dir/summary.json.
func writeSummary(res *verdict.Result, dir string) error {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "summary.json")) // #nosec G304 -- the user names the output directory
	if err != nil {
		return err
	}
	if err := res.WriteJSON(f); err != nil {
		_ = f.Close()
		return err
	}
	return f.Close()
}
