package featherweight

import (
	"math"
	"slices"
	"time"

	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/chatws"
)

// errorObject is a turn error to JS: {kind, message}, or null.
func errorObject(e *chatws.Error) any {
	if e == nil {
		return nil
	}
	msg := e.Msg
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return map[string]any{"kind": string(e.Kind), "message": msg}
}

// resultObject is the JS result; times in ms, null when not applicable.
func resultObject(res *chatws.Result) map[string]any {
	out := map[string]any{
		"ok":           res.OK,
		"error":        errorObject(res.Err),
		"tokens":       res.Tokens,
		"tokensSource": string(res.TokensSource),
		"chunks":       res.Chunks,
		"ttft":         nil,
		"duration":     nil,
		"tpot":         nil,
		"itl":          itlSummary(res.ITLs),
		"closeCode":    res.CloseCode,
		"messageId":    res.MessageID,
		"text":         res.Text,
	}
	if res.HasTTFT {
		out["ttft"] = metrics.D(res.TTFT)
	}
	if res.OK {
		out["duration"] = metrics.D(res.Duration)
	}
	if res.HasTPOT {
		out["tpot"] = metrics.D(res.TPOT)
	}
	return out
}

// itlSummary summarises the gaps: count, min, avg, p50, p90, p99, max (ms; null when count is 0).
// Percentiles interpolate linearly between closest ranks, as k6's Trend does.
func itlSummary(itls []time.Duration) map[string]any {
	out := map[string]any{"count": len(itls), "min": nil, "avg": nil, "p50": nil, "p90": nil, "p99": nil, "max": nil}
	if len(itls) == 0 {
		return out
	}
	v := make([]float64, len(itls))
	sum := 0.0
	for i, d := range itls {
		v[i] = metrics.D(d)
		sum += v[i]
	}
	slices.Sort(v)
	pct := func(p float64) float64 {
		r := p * float64(len(v)-1)
		lo := int(math.Floor(r))
		hi := min(lo+1, len(v)-1)
		return v[lo] + (v[hi]-v[lo])*(r-float64(lo))
	}
	out["min"], out["max"], out["avg"] = v[0], v[len(v)-1], sum/float64(len(v))
	out["p50"], out["p90"], out["p99"] = pct(0.5), pct(0.9), pct(0.99)
	return out
}
