package featherweight

import (
	"math"
	"slices"
	"time"

	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/chatws"
)

// emitTurn pushes one turn's samples:
//   - fw_chat_turns 1, fw_chat_failed 0/1, fw_chat_tokens, fw_chat_goodput 0/1 always;
//   - fw_chat_errors 1 tagged error_kind when failed;
//   - fw_chat_ttft when a token arrived, one fw_chat_itl per gap;
//   - fw_chat_duration and fw_chat_tpot only for a successful turn (tpot when tokens > 1).
func (c *chatCall) emitTurn(res *chatws.Result) {
	m := c.m
	t := res.Start
	if t.IsZero() {
		t = time.Now()
	}
	tags := c.tags.Tags
	s := make([]metrics.Sample, 0, 8+len(res.ITLs))
	add := func(metric *metrics.Metric, v float64) {
		s = append(s, metrics.Sample{TimeSeries: metrics.TimeSeries{Metric: metric, Tags: tags}, Value: v})
	}
	add(m.ChatTurns, 1)
	add(m.ChatFailed, b2f(!res.OK))
	add(m.ChatTokens, float64(res.Tokens))
	if res.HasTTFT {
		add(m.ChatTTFT, metrics.D(res.TTFT))
	}
	for _, itl := range res.ITLs {
		add(m.ChatITL, metrics.D(itl))
	}
	if res.OK {
		add(m.ChatDuration, metrics.D(res.Duration))
		if res.HasTPOT {
			add(m.ChatTPOT, metrics.D(res.TPOT))
		}
	}
	add(m.ChatGoodput, b2f(c.goodput(res)))
	if res.Err != nil {
		s = append(s, metrics.Sample{
			TimeSeries: metrics.TimeSeries{Metric: m.ChatErrors, Tags: tags.With("error_kind", string(res.Err.Kind))},
			Value:      1,
		})
	}
	c.push(t, s...)
}

// goodput: the turn succeeded and met the SLOs that are set (a TPOT SLO is met vacuously when
// the turn had fewer than two tokens).
func (c *chatCall) goodput(res *chatws.Result) bool {
	if !res.OK {
		return false
	}
	if c.params.sloTTFT > 0 && (!res.HasTTFT || res.TTFT > c.params.sloTTFT) {
		return false
	}
	if c.params.sloTPOT > 0 && res.HasTPOT && res.TPOT > c.params.sloTPOT {
		return false
	}
	return true
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

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
