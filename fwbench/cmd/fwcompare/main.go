// Command fwcompare compares runs of the bundled Featherweight scenario (their summary.json,
// written by examples/featherweight-load.js) and fails a pipeline when NEW regressed beyond the
// tolerances:
//
//	fwcompare [flags] BASE NEW
//	fwcompare [flags] -base a.json,b.json,c.json -new d.json,e.json,f.json
//
// With two or more runs a side it shows each figure's mean and 95% confidence interval per side,
// and a figure beyond its tolerance regresses only when Welch's t-test finds the difference
// significant (alpha 0.05 by default). With one run a side it judges by the tolerances alone.
//
// Exit codes:
//
//	0  no regression
//	1  regression: at least one figure is worse than the tolerance allows (each is named)
//	2  usage error, or a file that cannot be read or is not a k6 summary of the bundled scenario
//	3  the summaries are of different scenarios, profiles (load shapes) or arrival models
//
// Every tolerance flag also reads its default from the environment (FW_COMPARE_LATENCY, ...).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/compare"
)

// Exit codes.
const (
	exitOK         = 0
	exitRegression = 1
	exitUsage      = 2
	exitMismatch   = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.LookupEnv, os.Stdout, os.Stderr))
}

// run is main without the process: it returns the exit code.
func run(args []string, lookupEnv func(string) (string, bool), stdout, stderr io.Writer) int {
	tol, err := envTolerances(lookupEnv)
	if err != nil {
		fail(stderr, err)
		return exitUsage
	}
	alpha, err := envAlpha(lookupEnv)
	if err != nil {
		fail(stderr, err)
		return exitUsage
	}
	fs := flag.NewFlagSet("fwcompare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, `usage: fwcompare [flags] BASE NEW
       fwcompare [flags] -base a.json,b.json,c.json -new d.json,e.json,f.json
  Compares summary.json files of the bundled scenario (same scenario, profile and arrival model)
  and judges each of NEW's key figures against BASE. With 2 or more runs a side (3 recommended) a
  figure beyond its tolerance regresses only when the difference is significant (Welch's t-test).
  Exit: 0 no regression, 1 regression, 2 usage or bad file, 3 different scenarios or profiles.
flags (defaults also from the environment variable in brackets):
`)
		fs.PrintDefaults()
	}
	fs.Var(&tol.Latency, "latency",
		"relative increase allowed in a TTFT/ITL/TPOT p50, p90 or p95, e.g. 20% [FW_COMPARE_LATENCY]")
	fs.Var(&tol.TailLatency, "tail-latency",
		"relative increase allowed in a p99 (TTFT/ITL/TPOT), e.g. 50% [FW_COMPARE_TAIL_LATENCY]")
	fs.DurationVar(&tol.TailLatencyFloor, "tail-latency-floor", tol.TailLatencyFloor,
		"p99 increase always allowed [FW_COMPARE_TAIL_LATENCY_FLOOR]")
	fs.IntVar(&tol.TailMinSamples, "tail-min-samples", tol.TailMinSamples,
		"samples a p99 needs in both runs to be judged (fewer: shown only) [FW_COMPARE_TAIL_MIN_SAMPLES]")
	fs.DurationVar(&tol.LatencyFloor, "latency-floor", tol.LatencyFloor,
		"latency increase always allowed, however large relatively [FW_COMPARE_LATENCY_FLOOR]")
	fs.Var(&tol.Throughput, "throughput", "relative drop allowed in turns/s and tokens/s [FW_COMPARE_THROUGHPUT]")
	fs.Var(&tol.ErrorRate, "error-rate",
		"absolute increase allowed in the failed share of turns, e.g. 0.5% [FW_COMPARE_ERROR_RATE]")
	fs.Float64Var(&tol.HzAvg, "hz-avg", tol.HzAvg, "drop allowed in the loop's average Hz [FW_COMPARE_HZ_AVG]")
	fs.Float64Var(&tol.HzMin, "hz-min", tol.HzMin, "drop allowed in the loop's lowest Hz reading [FW_COMPARE_HZ_MIN]")
	var basePaths, newPaths pathList
	sideFlags(fs, &basePaths, &newPaths, &alpha)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	basePaths, newPaths, err = sides(basePaths, newPaths, fs.Args())
	if err != nil {
		fail(stderr, err)
		fs.Usage()
		return exitUsage
	}
	if err := validate(tol, alpha); err != nil {
		fail(stderr, err)
		return exitUsage
	}
	base, next, err := loadSides(basePaths, newPaths)
	if err != nil {
		fail(stderr, err)
		return exitUsage
	}
	rep, err := compare.Sets(base, next, tol, alpha)
	if err != nil {
		fail(stderr, err)
		if errors.Is(err, compare.ErrMismatch) {
			return exitMismatch
		}
		return exitUsage
	}
	if err := rep.WriteTable(stdout); err != nil {
		fail(stderr, err)
		return exitUsage
	}
	if len(rep.Regressions()) > 0 {
		return exitRegression
	}
	return exitOK
}

// fail reports a failure on stderr; a failed write to stderr has nowhere left to be reported.
func fail(stderr io.Writer, err error) {
	_, _ = fmt.Fprintf(stderr, "fwcompare: %v\n", err)
}

// envTolerances starts from the defaults and applies the FW_COMPARE_* variables that are set.
func envTolerances(lookupEnv func(string) (string, bool)) (compare.Tolerances, error) {
	tol := compare.DefaultTolerances()
	get := func(name string) (string, bool) {
		v, ok := lookupEnv(name)
		return v, ok && v != ""
	}
	fractions := []struct {
		name string
		dst  *compare.Fraction
	}{
		{"FW_COMPARE_LATENCY", &tol.Latency},
		{"FW_COMPARE_TAIL_LATENCY", &tol.TailLatency},
		{"FW_COMPARE_THROUGHPUT", &tol.Throughput},
		{"FW_COMPARE_ERROR_RATE", &tol.ErrorRate},
	}
	for _, f := range fractions {
		if v, ok := get(f.name); ok {
			if err := f.dst.Set(v); err != nil {
				return tol, fmt.Errorf("%s=%w", f.name, err)
			}
		}
	}
	floors := []struct {
		name string
		dst  *time.Duration
	}{
		{"FW_COMPARE_LATENCY_FLOOR", &tol.LatencyFloor},
		{"FW_COMPARE_TAIL_LATENCY_FLOOR", &tol.TailLatencyFloor},
	}
	for _, f := range floors {
		if v, ok := get(f.name); ok {
			d, err := time.ParseDuration(v)
			if err != nil || d < 0 {
				return tol, fmt.Errorf("%s=%q: expected a duration such as 10ms", f.name, v)
			}
			*f.dst = d
		}
	}
	if v, ok := get("FW_COMPARE_TAIL_MIN_SAMPLES"); ok {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return tol, fmt.Errorf("FW_COMPARE_TAIL_MIN_SAMPLES=%q: expected a non-negative integer", v)
		}
		tol.TailMinSamples = n
	}
	hz := []struct {
		name string
		dst  *float64
	}{
		{"FW_COMPARE_HZ_AVG", &tol.HzAvg},
		{"FW_COMPARE_HZ_MIN", &tol.HzMin},
	}
	for _, h := range hz {
		if v, ok := get(h.name); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || f < 0 {
				return tol, fmt.Errorf("%s=%q: expected a non-negative number of Hz", h.name, v)
			}
			*h.dst = f
		}
	}
	return tol, nil
}
