package featherweight

import (
	"fmt"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/chatws"
)

// ITL modes (the itl option of chat/chatAsync/connect).
const (
	itlGaps    = "gaps"    // one fw_chat_itl sample per gap (vLLM's pooled per-gap ITL); default
	itlSummary = "summary" // per turn: fw_chat_itl = the turn's mean gap, fw_chat_itl_max = its largest
)

// parseITLMode accepts 'gaps' or 'summary'.
func parseITLMode(_ *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
	s, err := optString(v, name)
	if err != nil {
		return err
	}
	switch s {
	case itlGaps, itlSummary:
		p.itlSummary = s == itlSummary
		return nil
	}
	return fmt.Errorf("%s must be %q or %q, got %q", name, itlGaps, itlSummary, s)
}

// itlSink is the turn's chatws.TurnOptions.ITLSink: in gaps mode it pushes each batch of gaps as
// fw_chat_itl samples as the reply streams, so a long reply never holds more than one batch; in
// summary mode it drops the gaps (the turn's chatws.ITLSummary keeps what emitTurn needs).
func (c *chatCall) itlSink() func([]time.Duration) {
	if c.params.itlSummary {
		return func([]time.Duration) {}
	}
	return func(gaps []time.Duration) {
		s := make([]metrics.Sample, 0, len(gaps))
		for _, d := range gaps {
			s = append(s, metrics.Sample{
				TimeSeries: metrics.TimeSeries{Metric: c.m.ChatITL, Tags: c.tags.Tags}, Value: metrics.D(d),
			})
		}
		c.push(time.Now(), s...)
	}
}

// itlSamples appends, at the end of a turn, its ITL samples not yet pushed: the gaps of the last
// partial batch (gaps mode) or the turn's mean and largest gap (summary mode).
func (c *chatCall) itlSamples(s []metrics.Sample, res *chatws.Result) []metrics.Sample {
	add := func(metric *metrics.Metric, d time.Duration) {
		s = append(s, metrics.Sample{TimeSeries: metrics.TimeSeries{Metric: metric, Tags: c.tags.Tags}, Value: metrics.D(d)})
	}
	if c.params.itlSummary {
		if res.ITL.Count > 0 {
			add(c.m.ChatITL, res.ITL.Mean)
			add(c.m.ChatITLMax, res.ITL.Max)
		}
		return s
	}
	for _, d := range res.ITLs {
		add(c.m.ChatITL, d)
	}
	return s
}

// itlObject is the result's itl: count, min, avg, p50, p90, p99, max (ms; null when count is
// 0). Count, min, avg and max are exact; the percentiles are nearest-rank gaps, exact below
// chatws.ITLBatch gaps and from chatws's bounded sketch (within 1%) beyond.
func itlObject(s chatws.ITLSummary) map[string]any {
	out := map[string]any{"count": s.Count, "min": nil, "avg": nil, "p50": nil, "p90": nil, "p99": nil, "max": nil}
	if s.Count == 0 {
		return out
	}
	out["min"], out["avg"], out["max"] = metrics.D(s.Min), metrics.D(s.Mean), metrics.D(s.Max)
	out["p50"], out["p90"], out["p99"] = metrics.D(s.P50), metrics.D(s.P90), metrics.D(s.P99)
	return out
}
