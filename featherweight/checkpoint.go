package featherweight

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/grafana/sobek"
	"github.com/sirupsen/logrus"
	"go.k6.io/k6/js/common"
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
	"github.com/featherweight/xk6-featherweight/runstats"
)

// checkpointConfig is fw.checkpoint's options object.
type checkpointConfig struct {
	path       string              // where the summary so far is written (atomically)
	every      time.Duration       // how often
	identity   any                 // the run's identity, written as "featherweight"
	thresholds map[string][]string // the run's thresholds, judged on what the extension measured
	trendStats []string            // the Trend statistics shown (summaryTrendStats)
}

func checkpointOptions() *optionTable[checkpointConfig] {
	return &optionTable[checkpointConfig]{prefix: "checkpoint.", skipNullish: true, options: []option[checkpointConfig]{
		{"path", stringOpt(func(c *checkpointConfig) *string { return &c.path })},
		{"every", durationOpt(func(c *checkpointConfig) *time.Duration { return &c.every })},
		{"identity", func(_ *sobek.Runtime, c *checkpointConfig, v sobek.Value, _ string) error {
			c.identity = v.Export()
			return nil
		}},
		{"thresholds", parseCheckpointThresholds},
		{"summaryTrendStats", stringsOpt(func(c *checkpointConfig) *[]string { return &c.trendStats })},
	}}
}

// parseCheckpointThresholds reads k6's thresholds object: each key's list of expressions (strings,
// or objects with a threshold field).
func parseCheckpointThresholds(rt *sobek.Runtime, c *checkpointConfig, v sobek.Value, name string) error {
	obj, err := optObject(rt, v, name)
	if err != nil || obj == nil {
		return err
	}
	c.thresholds = map[string][]string{}
	for _, k := range obj.Keys() {
		list, ok := obj.Get(k).Export().([]any)
		if !ok {
			return fmt.Errorf("%s.%s: expected an array of thresholds", name, k)
		}
		for _, e := range list {
			switch t := e.(type) {
			case string:
				c.thresholds[k] = append(c.thresholds[k], t)
			case map[string]any:
				if s, ok := t["threshold"].(string); ok {
					c.thresholds[k] = append(c.thresholds[k], s)
				}
			}
		}
	}
	return nil
}

// checkpointer writes the run's summary so far every interval (one per k6 process).
type checkpointer struct {
	cfg      checkpointConfig
	ledger   *runLedger
	start    time.Time
	logger   logrus.FieldLogger
	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
}

// checkpoint implements fw.checkpoint(options): from VU code (the bundled scenario calls it in
// setup()) it starts writing the summary so far to options.path every options.every, until the
// k6 process ends; in the init context it only checks the options, so a bad one stops k6 at init.
// One writer per k6 process: later calls change nothing.
func (mi *ModuleInstance) checkpoint(v sobek.Value) {
	rt := mi.vu.Runtime()
	var cfg checkpointConfig
	obj, err := optObject(rt, v, "checkpoint")
	if err == nil && obj == nil {
		err = errors.New("checkpoint: expected an options object { path, every }")
	}
	if err == nil {
		err = checkpointOptions().parse(rt, obj, &cfg, nil)
	}
	if err == nil && cfg.path == "" {
		err = errors.New("checkpoint.path: expected the file to write, like out/summary.partial.json")
	}
	if err == nil && cfg.every <= 0 {
		err = errors.New("checkpoint.every: expected a duration greater than zero, like \"1m\"")
	}
	if err == nil {
		_, err = parseThresholdTable(cfg.thresholds)
	}
	if err != nil {
		common.Throw(rt, err)
	}
	state := mi.vu.State()
	if state == nil {
		return
	}
	var logger logrus.FieldLogger = logrus.StandardLogger()
	if state.Logger != nil {
		logger = state.Logger
	}
	mi.ledger.startCheckpoints(cfg, logger)
}

// startCheckpoints starts the writer once per process and turns the ledger on.
func (r *runLedger) startCheckpoints(cfg checkpointConfig, logger logrus.FieldLogger) {
	r.checkpointOnce.Do(func() {
		r.active.Store(true)
		c := &checkpointer{
			cfg: cfg, ledger: r, start: time.Now(), logger: logger,
			stop: make(chan struct{}), done: make(chan struct{}),
		}
		r.checkpoints = c
		go c.run()
	})
}

// run writes a checkpoint every interval until stopped (in production: until the process ends).
func (c *checkpointer) run() {
	defer close(c.done)
	defer func() {
		if p := recover(); p != nil { // reported, never swallowed: the run goes on without checkpoints
			c.logger.Errorf("featherweight: the checkpoint writer stopped on a panic: %v\n%s", p, debug.Stack())
		}
	}()
	t := time.NewTicker(c.cfg.every)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-c.stop:
			return
		case now := <-t.C:
			err := c.write(now)
			switch {
			case err != nil && err.Error() != lastErr:
				c.logger.Warnf("featherweight: checkpoint %s not written: %v", c.cfg.path, err)
			case err == nil && lastErr != "":
				c.logger.Infof("featherweight: checkpoint %s written again", c.cfg.path)
			}
			lastErr = ""
			if err != nil {
				lastErr = err.Error()
			}
		}
	}
}

// finish stops the writer and writes a last checkpoint covering the whole run (k6's TestEnd).
func (c *checkpointer) finish(now time.Time) {
	c.stopOnce.Do(func() {
		close(c.stop)
		<-c.done
		if err := c.write(now); err != nil {
			c.logger.Warnf("featherweight: last checkpoint %s not written: %v", c.cfg.path, err)
		}
	})
}

// write writes the summary so far atomically: to a temporary file in the same directory, synced,
// then renamed over path, so a reader (or a run killed mid-write) never sees half a file.
func (c *checkpointer) write(now time.Time) error {
	body, err := json.MarshalIndent(c.document(now), "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(c.cfg.path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(c.cfg.path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(append(body, '\n'))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644) // #nosec G302 -- a summary, meant to be read like summary.json
	}
	if err == nil {
		err = os.Rename(tmp, c.cfg.path)
	}
	if err != nil {
		_ = os.Remove(tmp)
	}
	return err
}

// document is the checkpoint: summary.json's shape (featherweight, state, metrics with their
// thresholds), marked partial, with the span it covers.
func (c *checkpointer) document(now time.Time) map[string]any {
	elapsed := now.Sub(c.start)
	ms := c.ledger.summaryMetrics(c.cfg.trendStats, elapsed)
	ths, _ := parseThresholdTable(c.cfg.thresholds) // checked when the checkpoint was configured
	for _, th := range ths {
		match := func(ts *metrics.TagSet) bool { return tagsContain(ts, th.Metric.Tags) }
		v, ok := c.ledger.ledger.Select(th.Metric.Name, match)
		if !ok {
			continue // not measured by the extension (a script metric such as error_rate)
		}
		entry, _ := ms[th.Metric.Key].(map[string]any)
		if entry == nil {
			entry = c.ledger.metricEntry(th.Metric.Name, v, c.cfg.trendStats, elapsed)
			ms[th.Metric.Key] = entry
		}
		res, _ := entry["thresholds"].(map[string]any)
		if res == nil {
			res = map[string]any{}
			entry["thresholds"] = res
		}
		res[th.Expr] = map[string]any{"ok": th.Judge(statValues(v, th.Stat, elapsed)).OK}
	}
	return map[string]any{
		"partial": true,
		"span": map[string]any{
			"from": c.start.UTC().Format(time.RFC3339Nano), "to": now.UTC().Format(time.RFC3339Nano),
			"seconds": elapsed.Seconds(),
		},
		"featherweight": c.cfg.identity,
		"state":         map[string]any{"testRunDurationMs": float64(elapsed.Milliseconds())},
		"metrics":       ms,
	}
}

// parseThresholdTable parses the thresholds (key -> expressions) with the scenario's one parser.
func parseThresholdTable(table map[string][]string) ([]scenario.Threshold, error) {
	var out []scenario.Threshold
	for key, exprs := range table {
		mk, err := scenario.ParseMetricKey(key)
		if err != nil {
			return nil, fmt.Errorf("checkpoint.thresholds: %w", err)
		}
		for _, e := range exprs {
			th, err := scenario.ParseExpr(mk, e)
			if err != nil {
				return nil, fmt.Errorf("checkpoint.thresholds.%s: %w", key, err)
			}
			out = append(out, th)
		}
	}
	return out, nil
}

// statValues is the value of stat for judging a threshold (a Counter's rate over the elapsed time);
// empty when the metric has no such statistic (the threshold then fails, as in scenario.Judge).
func statValues(v *runstats.Values, stat scenario.Stat, elapsed time.Duration) map[string]float64 {
	if v.Kind == runstats.Counter && stat == "rate" {
		if elapsed <= 0 {
			return nil
		}
		return map[string]float64{"rate": v.Sum / elapsed.Seconds()}
	}
	x, err := v.Stat(string(stat))
	if err != nil {
		return nil
	}
	return map[string]float64{string(stat): x}
}

func tagsContain(ts *metrics.TagSet, want map[string]string) bool {
	for k, v := range want {
		if got, ok := ts.Get(k); !ok || got != v {
			return false
		}
	}
	return true
}

// summaryMetrics renders every metric of the ledger as handleSummary's data.metrics does.
func (r *runLedger) summaryMetrics(trendStats []string, elapsed time.Duration) map[string]any {
	out := map[string]any{}
	for _, name := range r.ledger.Names() {
		v, ok := r.ledger.Metric(name)
		if !ok {
			continue
		}
		out[name] = r.metricEntry(name, v, trendStats, elapsed)
	}
	return out
}

// metricEntry is one metric as k6's summary data shows it: type, contains and values.
func (r *runLedger) metricEntry(
	name string, v *runstats.Values, trendStats []string, elapsed time.Duration,
) map[string]any {
	contains := "default"
	if m := r.metric(name); m != nil && m.Contains == metrics.Time {
		contains = "time"
	}
	vals := map[string]any{}
	var typ string
	switch v.Kind {
	case runstats.Trend:
		typ = "trend"
		if len(trendStats) == 0 {
			trendStats = publishedStats()
		}
		for _, s := range trendStats {
			if x, err := v.Stat(s); err == nil {
				vals[s] = x
			}
		}
	case runstats.Counter:
		typ = "counter"
		vals["count"] = v.Sum
		if elapsed > 0 {
			vals["rate"] = v.Sum / elapsed.Seconds()
		}
	case runstats.Rate:
		typ = "rate"
		for _, s := range []string{"rate", "passes", "fails"} {
			vals[s], _ = v.Stat(s)
		}
	case runstats.Gauge:
		typ = "gauge"
		for _, s := range []string{"value", "min", "max"} {
			vals[s], _ = v.Stat(s)
		}
	}
	return map[string]any{"type": typ, "contains": contains, "values": vals}
}

// metricsByName remembers the k6 metric of each name the ledger records (its value type).
type metricsByName struct {
	mu sync.Mutex
	m  map[string]*metrics.Metric
}

func (r *runLedger) remember(m *metrics.Metric) {
	r.names.mu.Lock()
	defer r.names.mu.Unlock()
	if r.names.m == nil {
		r.names.m = map[string]*metrics.Metric{}
	}
	r.names.m[m.Name] = m
}

func (r *runLedger) metric(name string) *metrics.Metric {
	r.names.mu.Lock()
	defer r.names.mu.Unlock()
	return r.names.m[name]
}
