package main

import (
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/compare"
)

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
	if tol.HzAvg < 0 || tol.HzMin < 0 || tol.LatencyFloor < 0 || tol.TailLatencyFloor < 0 || tol.TailMinSamples < 0 {
		return errors.New("tolerances must not be negative")
	}
	if !(alpha > 0 && alpha < 1) {
		return fmt.Errorf("-alpha %v: expected a significance level between 0 and 1, e.g. 0.05", alpha)
	}
	return nil
}

// sideFlags registers -base, -new and -alpha.
func sideFlags(fs *flag.FlagSet, basePaths, newPaths *pathList, alpha *float64) {
	fs.Var(basePaths, "base",
		"BASE runs' summary files, comma-separated or the flag repeated (instead of the BASE argument)")
	fs.Var(newPaths, "new",
		"NEW runs' summary files, comma-separated or the flag repeated (instead of the NEW argument)")
	fs.Float64Var(alpha, "alpha", *alpha,
		"significance level of Welch's t-test, used with 2 or more runs a side [FW_COMPARE_ALPHA]")
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

// envAlpha is FW_COMPARE_ALPHA, else compare.DefaultAlpha.
func envAlpha(lookupEnv func(string) (string, bool)) (float64, error) {
	v, ok := lookupEnv("FW_COMPARE_ALPHA")
	if !ok || v == "" {
		return compare.DefaultAlpha, nil
	}
	a, err := strconv.ParseFloat(v, 64)
	if err != nil || !(a > 0 && a < 1) {
		return 0, fmt.Errorf("FW_COMPARE_ALPHA=%q: expected a significance level between 0 and 1, e.g. 0.05", v)
	}
	return a, nil
}
