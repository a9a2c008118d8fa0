package main

import (
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
