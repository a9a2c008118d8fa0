// Command fwverdict judges a distributed run of the bundled Featherweight scenario as one run: it
// reads the samples every runner remote-wrote to Prometheus under one FW_TESTID, merges them and
// evaluates the scenario's own thresholds (recorded by the runners in fw_run_info) on the merged
// data. It prints the scenario's readable summary for the merged run and writes a summary.json that
// fwcompare accepts.
//
//	fwverdict [-prometheus URL] [-testid ID] [-out DIR] [-window 24h] [-timeout 2m]
//
// Exit codes (as k6's):
//
//	0   every threshold held on the merged run
//	99  at least one threshold failed (each is named)
//	2   the run cannot be judged: usage error, no Prometheus at the URL, no samples for the testid,
//	    runners that disagree, a threshold that cannot be merged (never a pass)
//
// -prometheus and -testid default to FW_PROMETHEUS_URL and FW_TESTID, -out to FW_OUT_DIR.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/verdict"
)

// Exit codes.
const (
	exitPass     = 0
	exitBadInput = 2
	exitFailed   = 99 // k6's exit code for failed thresholds
)

func main() {
	os.Exit(run(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fwverdict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, `usage: fwverdict [flags]
  Judges the run FW_TESTID of the bundled scenario from the samples its runners remote-wrote to
  Prometheus. Exit: 0 all thresholds pass, 99 a threshold failed, 2 the run cannot be judged.
flags:
`)
		fs.PrintDefaults()
	}
	promURL := fs.String("prometheus", getenv("FW_PROMETHEUS_URL"),
		"Prometheus base URL, e.g. http://prometheus:9090 [FW_PROMETHEUS_URL]")
	testid := fs.String("testid", getenv("FW_TESTID"), "the run's FW_TESTID [FW_TESTID]")
	out := fs.String("out", getenv("FW_OUT_DIR"), "directory for summary.json (empty: none) [FW_OUT_DIR]")
	window := fs.Duration("window", verdict.DefaultWindow, "how far back the run's samples are looked for")
	timeout := fs.Duration("timeout", 2*time.Minute, "bound on all Prometheus queries together")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitPass
		}
		return exitBadInput
	}
	if fs.NArg() > 0 {
		failf(stderr, "unexpected arguments %q", fs.Args())
		return exitBadInput
	}
	if *promURL == "" || *testid == "" {
		failf(stderr, "name the Prometheus server and the run: -prometheus URL -testid ID (or FW_PROMETHEUS_URL, FW_TESTID)")
		return exitBadInput
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	res, err := verdict.Evaluate(ctx, verdict.Options{URL: *promURL, TestID: *testid, Window: *window})
	if err != nil {
		failf(stderr, "%v", err)
		return exitBadInput
	}
	if err := res.WriteText(stdout); err != nil {
		failf(stderr, "%v", err)
		return exitBadInput
	}
	if *out != "" {
		if err := writeSummary(res, *out); err != nil {
			failf(stderr, "%v", err)
			return exitBadInput
		}
	}
	if !res.Passed() {
		for _, o := range res.Failed() {
			failf(stderr, "threshold failed on the merged run: %s", o)
		}
		return exitFailed
	}
	return exitPass
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

// failf reports on stderr; a failed write to stderr has nowhere left to be reported.
func failf(stderr io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(stderr, "fwverdict: "+format+"\n", args...)
}
