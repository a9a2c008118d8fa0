package featherweight

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/sobek"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/runstats"
)

// Trend modes (the trends option of chat/chatAsync/connect).
const (
	trendsSamples = "samples" // one k6 sample per value (k6 keeps every value for thresholds); default
	trendsSketch  = "sketch"  // the extension's run-wide sketches; k6 gets <trend>_sketch gauges
)

// publishEvery is how often sketch mode refreshes the <trend>_sketch gauges from the sketches.
const publishEvery = time.Second

// publishedStats are the statistics every <trend>_sketch gauge carries (tag stat), besides
// the percentiles a sketched threshold asks for.
func publishedStats() []string {
	return []string{"avg", "min", "med", "max", "p(90)", "p(95)", "p(99)"}
}

// parseTrendsMode accepts 'samples' or 'sketch'.
func parseTrendsMode(_ *sobek.Runtime, p *chatParams, v sobek.Value, name string) error {
	s, err := optString(v, name)
	if err != nil {
		return err
	}
	switch s {
	case trendsSamples, trendsSketch:
		p.sketch = s == trendsSketch
		return nil
	}
	return fmt.Errorf("%s must be %q or %q, got %q", name, trendsSamples, trendsSketch, s)
}

// runLedger is the process's record of what the extension emitted (one per k6 process, on the
// RootModule, shared by every VU): the Trends of sketch mode, and every sample once a
// checkpoint is configured. Its memory grows with distinct series, not with samples.
type runLedger struct {
	ledger      *runstats.Ledger[*metrics.TagSet]
	active      atomic.Bool  // record samples (sketch mode seen or a checkpoint configured)
	lastPublish atomic.Int64 // unix ns of the last gauge refresh
	mu          sync.Mutex
	extraStats  map[string]bool // percentiles sketched thresholds ask for, beyond publishedStats
	names       metricsByName   // the k6 metric of each name recorded

	checkpointOnce sync.Once
	checkpoints    *checkpointer // nil until fw.checkpoint ran in VU code
}

func newRunLedger() *runLedger {
	return &runLedger{ledger: runstats.NewLedger[*metrics.TagSet](), extraStats: map[string]bool{}}
}

func kindOf(t metrics.MetricType) runstats.Kind {
	switch t {
	case metrics.Counter:
		return runstats.Counter
	case metrics.Gauge:
		return runstats.Gauge
	case metrics.Rate:
		return runstats.Rate
	default:
		return runstats.Trend
	}
}

// record adds samples to the ledger (when active) and returns the ones k6 must receive: in
// sketch mode the Trend samples stay in the ledger only.
func (r *runLedger) record(samples []metrics.Sample, sketch bool) []metrics.Sample {
	if sketch {
		r.active.Store(true)
	}
	if !r.active.Load() {
		return samples
	}
	keep := samples[:0:0]
	if !sketch {
		keep = samples
	}
	var last *metrics.Metric
	for _, s := range samples {
		if s.Metric != last {
			r.remember(s.Metric)
			last = s.Metric
		}
		r.ledger.Add(s.Metric.Name, kindOf(s.Metric.Type), s.Tags, s.Value, s.Time)
		if sketch && s.Metric.Type != metrics.Trend {
			keep = append(keep, s)
		}
	}
	return keep
}

// stats are the statistics the gauges publish: publishedStats and the thresholds' percentiles.
func (r *runLedger) stats() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := publishedStats()
	for s := range r.extraStats {
		out = append(out, s)
	}
	return out
}

func (r *runLedger) wantStat(stat string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if slices.Contains(publishedStats(), stat) {
		return
	}
	r.extraStats[stat] = true
}

// maybePublish refreshes the gauges when publishEvery has passed since the last refresh (one
// caller wins the refresh).
func (r *runLedger) maybePublish(
	ctx context.Context, out chan<- metrics.SampleContainer, base *metrics.TagSet, m *fwMetrics,
) {
	now := time.Now()
	last := r.lastPublish.Load()
	if now.UnixNano()-last < int64(publishEvery) || !r.lastPublish.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	r.publish(ctx, out, base, m, now)
}

// runTags are the tags of the sketch gauges: the VU's current tags without scenario and group
// (so, the run's tags: testid, fw_runner, ...).
func runTags(state *lib.State) *metrics.TagSet {
	base := state.Tags.GetCurrentValues().Tags
	for _, k := range []string{"scenario", "group"} {
		base = base.Without(k)
	}
	return base
}

// publish pushes, for every sketched Trend with values, its <trend>_sketch gauge once per
// statistic (tag stat: avg, min, med, max, p90, p95, p99, ...), tagged with the run's tags only:
// each value describes the whole run so far, across every tag set.
func (r *runLedger) publish(
	ctx context.Context, out chan<- metrics.SampleContainer, base *metrics.TagSet, m *fwMetrics, now time.Time,
) {
	stats := r.stats()
	var samples metrics.Samples
	for trend, gauge := range m.sketchGauges {
		v, ok := r.ledger.Metric(trend)
		if !ok || v.Count == 0 || v.Kind != runstats.Trend {
			continue
		}
		for _, stat := range stats {
			x, err := v.Stat(stat)
			if err != nil {
				continue
			}
			samples = append(samples, metrics.Sample{
				TimeSeries: metrics.TimeSeries{Metric: gauge, Tags: base.With("stat", statTag(stat))},
				Time:       now, Value: x,
			})
		}
	}
	if len(samples) > 0 {
		metrics.PushIfNotDone(ctx, out, samples)
	}
}

// statTag is a statistic's tag value: "p(95)" -> "p95", others as they are.
func statTag(stat string) string {
	if p, ok := strings.CutPrefix(stat, "p("); ok {
		return "p" + strings.TrimSuffix(p, ")")
	}
	return stat
}

// statFromTag is statTag's inverse: "p95" -> "p(95)".
func statFromTag(tag string) string {
	if p, ok := strings.CutPrefix(tag, "p"); ok && p != "" && (p[0] >= '0' && p[0] <= '9') {
		return "p(" + p + ")"
	}
	return tag
}
