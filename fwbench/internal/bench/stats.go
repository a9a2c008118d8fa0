package bench

import (
	"bufio"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Quantile sorts v in place and returns its count, median and 99th percentile (nearest rank).
func Quantile(v []float64) Quantiles {
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

// ParseTurnLine finds "turn <id> <ttft_ms>" in a line (possibly inside a k6 log line).
func ParseTurnLine(line string) (string, float64, bool) {
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

// Quantiles summarises a distribution in milliseconds.
type Quantiles struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P99   float64 `json:"p99"`
}

// ClientSummary is one client's account of a run. `fwplain run` prints it; the k6 workloads'
// handleSummary (examples/bench/summary.js) writes the same shape.
type ClientSummary struct {
	Client string    `json:"client"`
	Turns  int64     `json:"turns"`  // completed turns
	Failed int64     `json:"failed"` // failed turns (and failed connects)
	Tokens int64     `json:"tokens"` // token-bearing frames received in completed and failed turns
	TTFT   Quantiles `json:"ttft_ms"`
	ITL    Quantiles `json:"itl_ms"`
}

// ReadTurnLines parses "turn <id> <ttft_ms>" lines found anywhere in r's lines (k6's console
// output wraps them in its log format) into a map id -> ttft ms.
func ReadTurnLines(r io.Reader) (map[string]float64, error) {
	out := make(map[string]float64)
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for sc.Scan() {
		if id, v, ok := ParseTurnLine(sc.Text()); ok {
			out[id] = v
		}
	}
	return out, sc.Err()
}
