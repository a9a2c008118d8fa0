package main

import (
	"math"
	"slices"
	"strconv"
	"strings"
)

// quantiles sorts v in place and returns its count, median and 99th percentile (nearest rank).
func quantiles(v []float64) Quantiles {
	if len(v) == 0 {
		return Quantiles{}
	}
	slices.Sort(v)
	return Quantiles{Count: int64(len(v)), P50: rank(v, 0.50), P99: rank(v, 0.99)}
}

// rank is the nearest-rank q-quantile of sorted v (len(v) > 0).
func rank(v []float64, q float64) float64 {
	i := int(math.Ceil(q*float64(len(v)))) - 1
	return v[max(0, min(i, len(v)-1))]
}

// parseTurnLine finds "turn <id> <ttft_ms>" in a line (possibly inside a k6 log line).
func parseTurnLine(line string) (string, float64, bool) {
	_, rest, ok := strings.Cut(line, "turn ")
	if !ok {
		return "", 0, false
	}
	f := strings.Fields(rest)
	if len(f) < 2 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(strings.TrimRight(f[1], `"`), 64)
	if err != nil {
		return "", 0, false
	}
	return f[0], v, true
}
