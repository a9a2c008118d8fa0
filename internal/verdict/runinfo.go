package verdict

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"

	"github.com/prometheus/common/model"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// runInfoMetric is the Gauge the bundled scenario writes once per runner (in setup()) when FW_TESTID
// is set; its labels identity and thresholds are the JSON of the run's identity and options.thresholds.
const runInfoMetric = metricPrefix + scenario.MetricRunInfo

// runInfo is what the runners said about the run.
type runInfo struct {
	// Identity is the scenario's identity JSON as the runners wrote it (summary.json's featherweight).
	Identity json.RawMessage
	// Shape is Identity decoded.
	Shape scenario.Identity
	// Thresholds are the scenario's thresholds.
	Thresholds []scenario.Threshold
	// Runners is the number of runners (k6 processes) that wrote fw_run_info.
	Runners int
	// Start is the earliest runner's setup.
	Start model.Time
}

// readRunInfo reads fw_run_info of the run and checks that every runner ran the same scenario with
// the same thresholds.
func readRunInfo(ctx context.Context, p *prom) (*runInfo, error) {
	sel, err := p.selector(runInfoMetric, nil)
	if err != nil {
		return nil, err
	}
	mat, err := p.matrix(ctx, fmt.Sprintf("%s[%s]", sel, p.window))
	if err != nil {
		return nil, err
	}
	if len(mat) == 0 {
		return nil, badInput(nil, "testid %q has samples but no %s: run the bundled scenario with FW_TESTID=%s "+
			"(which tags each runner apart and records its thresholds), not only --tag testid",
			p.testid, runInfoMetric, p.testid)
	}
	info := &runInfo{Runners: len(mat), Start: model.Time(math.MaxInt64)}
	var first *model.SampleStream
	for _, s := range mat {
		identity, err := canonicalJSON(string(s.Metric["identity"]))
		if err != nil {
			return nil, badInput(err, "%s of testid %q: identity %q is not JSON",
				runInfoMetric, p.testid, s.Metric["identity"])
		}
		// k6 hands setup() the consolidated options, whose thresholds object has no fixed key order:
		// runners are compared on the parsed thresholds.
		thresholds, err := scenario.ParseThresholds([]byte(s.Metric["thresholds"]))
		if err != nil {
			return nil, badInput(err, "%s of testid %q: thresholds", runInfoMetric, p.testid)
		}
		if first == nil {
			first, info.Identity, info.Thresholds = s, json.RawMessage(identity), thresholds
		} else if identity != string(info.Identity) ||
			!slices.Equal(thresholdStrings(thresholds), thresholdStrings(info.Thresholds)) {
			return nil, badInput(nil, "the runners of testid %q ran different scenarios or thresholds "+
				"(runner %s: %s %v; runner %s: %s %v)", p.testid, first.Metric["fw_runner"], info.Identity,
				thresholdStrings(info.Thresholds), s.Metric["fw_runner"], identity, thresholdStrings(thresholds))
		}
		for _, v := range s.Values {
			info.Start = min(info.Start, v.Timestamp)
		}
	}
	if err := json.Unmarshal(info.Identity, &info.Shape); err != nil || info.Shape.Scenario == "" {
		return nil, badInput(err, "%s of testid %q: identity %s is not the scenario's identity",
			runInfoMetric, p.testid, info.Identity)
	}
	if len(info.Thresholds) == 0 {
		return nil, badInput(nil, "%s of testid %q lists no thresholds: nothing to judge", runInfoMetric, p.testid)
	}
	return info, nil
}

// runEnd is the run's last sample: the latest k6_vus or k6_iterations_total sample of any runner
// (k6 writes both at every push until it stops).
func runEnd(ctx context.Context, p *prom) (model.Time, error) {
	q := fmt.Sprintf(`{__name__=~"k6_vus|k6_iterations_total",testid=%q}[%s]`, p.testid, p.window)
	mat, err := p.matrix(ctx, q)
	if err != nil {
		return 0, err
	}
	var end model.Time
	for _, s := range mat {
		if n := len(s.Values); n > 0 {
			end = max(end, s.Values[n-1].Timestamp)
		}
	}
	if end == 0 {
		return 0, badInput(nil, "testid %q has no k6_vus or k6_iterations_total samples: not a k6 run", p.testid)
	}
	return end, nil
}

// canonicalJSON re-encodes a JSON object with sorted keys, so equal identities compare equal.
func canonicalJSON(s string) (string, error) {
	var v map[string]any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return "", err
	}
	b, err := json.Marshal(v)
	return string(b), err
}

// thresholdStrings lists thresholds as "metric: expr".
func thresholdStrings(ts []scenario.Threshold) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.String()
	}
	return out
}
