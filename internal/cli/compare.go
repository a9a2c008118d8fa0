package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/featherweight/xk6-featherweight/internal/compare"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

const compareUsage = `usage: k6 x featherweight compare [flags] BASE NEW
       k6 x featherweight compare [flags] -base a.json,b.json,c.json -new d.json,e.json,f.json
  Compares summary.json files of the bundled scenario (same scenario, profile and arrival model)
  and judges each of NEW's key figures against BASE. With 2 or more runs a side (3 recommended) a
  figure beyond its tolerance regresses only when the difference is significant (Welch's t-test).
  Exit: 0 no regression, 99 regression, 2 usage or a file that is not a summary, 3 different
  scenarios, profiles or arrival models (docs/tools.md).
`

// compareFlags are the comparison's knobs.
type compareFlags struct {
	tol                 compare.Tolerances
	alpha               float64
	basePaths, newPaths pathList
}

func defineCompareFlags(fs *knob.FlagSet) *compareFlags {
	c := &compareFlags{tol: compare.DefaultTolerances()}
	fs.Var(&c.tol.Latency, "latency", "FW_COMPARE_LATENCY",
		"relative increase allowed in a TTFT/ITL/TPOT p50, p90 or p95, e.g. 20%")
	fs.Var(&c.tol.TailLatency, "tail-latency", "FW_COMPARE_TAIL_LATENCY",
		"relative increase allowed in a p99 (TTFT/ITL/TPOT), e.g. 50%")
	fs.DurationVar(&c.tol.TailLatencyFloor, "tail-latency-floor", "FW_COMPARE_TAIL_LATENCY_FLOOR",
		c.tol.TailLatencyFloor, "p99 increase always allowed")
	fs.IntVar(&c.tol.TailMinSamples, "tail-min-samples", "FW_COMPARE_TAIL_MIN_SAMPLES", c.tol.TailMinSamples,
		"samples a p99 needs in both runs to be judged (fewer: shown only)")
	fs.DurationVar(&c.tol.LatencyFloor, "latency-floor", "FW_COMPARE_LATENCY_FLOOR", c.tol.LatencyFloor,
		"latency increase always allowed, however large relatively")
	fs.Var(&c.tol.Throughput, "throughput", "FW_COMPARE_THROUGHPUT", "relative drop allowed in turns/s and tokens/s")
	fs.Var(&c.tol.ErrorRate, "error-rate", "FW_COMPARE_ERROR_RATE",
		"absolute increase allowed in the failed share of turns, e.g. 0.5%")
	fs.Float64Var(&c.tol.HzAvg, "hz-avg", "FW_COMPARE_HZ_AVG", c.tol.HzAvg, "drop allowed in the loop's average Hz")
	fs.Float64Var(&c.tol.HzMin, "hz-min", "FW_COMPARE_HZ_MIN", c.tol.HzMin, "drop allowed in the loop's lowest Hz reading")
	fs.Float64Var(&c.alpha, "alpha", "FW_COMPARE_ALPHA", compare.DefaultAlpha,
		"significance level of Welch's t-test, used with 2 or more runs a side")
	fs.Var(&c.basePaths, "base", "FW_COMPARE_BASE",
		"BASE runs' summary files, comma-separated or the flag repeated (instead of the BASE argument)")
	fs.Var(&c.newPaths, "new", "FW_COMPARE_NEW",
		"NEW runs' summary files, comma-separated or the flag repeated (instead of the NEW argument)")
	return c
}

// runCompare is `k6 x featherweight compare`: it returns the exit code.
func runCompare(args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
	fs := knob.New("compare", env, stderr)
	fs.Usage = func() { usage(stderr, compareUsage, fs) }
	c := defineCompareFlags(fs)
	if code, done := parseFlags(fs, args, stderr, "compare"); done {
		return code
	}
	basePaths, newPaths, err := sides(c.basePaths, c.newPaths, fs.Args())
	if err != nil {
		failf(stderr, "compare", "%v", err)
		fs.Usage()
		return exitcode.BadInput
	}
	if err := validate(c.tol, c.alpha); err != nil {
		failf(stderr, "compare", "%v", err)
		return exitcode.BadInput
	}
	base, next, err := loadSides(basePaths, newPaths)
	if err != nil {
		failf(stderr, "compare", "%v", err)
		return exitcode.BadInput
	}
	rep, err := compare.Sets(base, next, c.tol, c.alpha)
	if err != nil {
		failf(stderr, "compare", "%v", err)
		if errors.Is(err, scenario.ErrMismatch) {
			return exitcode.NotComparable
		}
		return exitcode.BadInput
	}
	if err := rep.WriteTable(stdout); err != nil {
		failf(stderr, "compare", "%v", err)
		return exitcode.Error
	}
	if len(rep.Regressions()) > 0 {
		return exitcode.Failed
	}
	return exitcode.Pass
}

// pathList is a flag.Value collecting summary files: comma-separated, the flag repeated, or both.
type pathList []string

func (p *pathList) String() string {
	if p == nil {
		return ""
	}
	return strings.Join(*p, ",")
}

// Set adds the comma-separated files of one occurrence of the flag.
func (p *pathList) Set(v string) error {
	for f := range strings.SplitSeq(v, ",") {
		if f = strings.TrimSpace(f); f != "" {
			*p = append(*p, f)
		}
	}
	if len(*p) == 0 {
		return fmt.Errorf("%q: expected summary files", v)
	}
	return nil
}

// sides returns the BASE and NEW files: the -base and -new lists, or the two arguments.
func sides(basePaths, newPaths pathList, args []string) (pathList, pathList, error) {
	switch {
	case len(basePaths) == 0 && len(newPaths) == 0 && len(args) == 2:
		return pathList{args[0]}, pathList{args[1]}, nil
	case len(basePaths) == 0 && len(newPaths) == 0:
		return nil, nil, fmt.Errorf("expected BASE and NEW summary files, got %d argument(s)", len(args))
	case len(basePaths) == 0 || len(newPaths) == 0 || len(args) > 0:
		return nil, nil, errors.New("give both -base and -new (and no BASE NEW arguments), or BASE and NEW alone")
	}
	return basePaths, newPaths, nil
}

// validate refuses negative tolerances and a significance level outside (0, 1).
func validate(tol compare.Tolerances, alpha float64) error {
	for _, k := range []struct {
		flag, env string
		v         float64
	}{
		{"hz-avg", "FW_COMPARE_HZ_AVG", tol.HzAvg},
		{"hz-min", "FW_COMPARE_HZ_MIN", tol.HzMin},
		{"latency-floor", "FW_COMPARE_LATENCY_FLOOR", tol.LatencyFloor.Seconds()},
		{"tail-latency-floor", "FW_COMPARE_TAIL_LATENCY_FLOOR", tol.TailLatencyFloor.Seconds()},
		{"tail-min-samples", "FW_COMPARE_TAIL_MIN_SAMPLES", float64(tol.TailMinSamples)},
	} {
		if k.v < 0 {
			return fmt.Errorf("-%s [%s]: a tolerance must not be negative", k.flag, k.env)
		}
	}
	if !(alpha > 0 && alpha < 1) {
		return fmt.Errorf("-alpha %v: expected a significance level between 0 and 1, e.g. 0.05", alpha)
	}
	return nil
}

// loadSides reads the summaries of both sides.
func loadSides(basePaths, newPaths []string) (base, next []*compare.Summary, err error) {
	if base, err = loadAll("BASE", basePaths); err != nil {
		return nil, nil, err
	}
	if next, err = loadAll("NEW", newPaths); err != nil {
		return nil, nil, err
	}
	return base, next, nil
}

// loadAll reads every summary of one side; side ("BASE" or "NEW") prefixes the error.
func loadAll(side string, paths []string) ([]*compare.Summary, error) {
	out := make([]*compare.Summary, 0, len(paths))
	for _, p := range paths {
		s, err := compare.Load(p)
		if err != nil {
			return nil, fmt.Errorf("%s %w", side, err)
		}
		out = append(out, s)
	}
	return out, nil
}

// parseFlags parses args; done is true when the command ends here (help: exit 0; a bad flag or
// variable: exit 2).
func parseFlags(fs *knob.FlagSet, args []string, stderr io.Writer, name string) (code int, done bool) {
	err := fs.Parse(args)
	switch {
	case err == nil:
		return 0, false
	case errors.Is(err, flag.ErrHelp):
		return exitcode.Pass, true
	case errors.Is(err, knob.ErrEnv):
		failf(stderr, name, "%v", err)
	}
	return exitcode.BadInput, true // flag reported a bad flag itself
}

// usage prints a command's help: what it does, the flag/env rule, its flags.
func usage(w io.Writer, text string, fs *knob.FlagSet) {
	printf(w, "%s%s\nflags:\n", text, wrap(knob.Rule, "  "))
	fs.PrintDefaults()
}

// wrap indents text and breaks it into lines of about 100 characters.
func wrap(text, indent string) string {
	var b strings.Builder
	line := indent
	for word := range strings.FieldsSeq(text) {
		if len(line)+len(word) > 100 {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += word + " "
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	return b.String()
}

// printf writes a line of the command's output; a failed write to the terminal has nowhere to be reported.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}

// failf reports a failure on stderr, prefixed with the subcommand's name.
func failf(stderr io.Writer, name, format string, args ...any) {
	printf(stderr, "featherweight "+name+": "+format+"\n", args...)
}
