package verdict

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/common/model"
)

// metricPrefix is what k6's remote-write output puts before every metric name.
const metricPrefix = "k6_"

// prom runs the run's queries: every one is evaluated at the same instant and looks back over the
// same window for the samples of one testid.
type prom struct {
	api    *promAPI
	url    string
	testid string
	at     time.Time
	window string // a PromQL duration, e.g. 1d
}

func newProm(o Options) (*prom, error) {
	rt := o.RoundTripper
	if rt == nil {
		rt = http.DefaultTransport
	}
	c, err := newPromAPI(o.URL, rt)
	if err != nil {
		return nil, badInput(err, "Prometheus URL %q", o.URL)
	}
	return &prom{
		api: c, url: o.URL, testid: o.TestID, at: o.At,
		window: model.Duration(o.Window).String(),
	}, nil
}

// labelNameRe is a Prometheus label name (k6 writes each tag as a label of the same name).
var labelNameRe = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_]*$`)

// selector is the run's series of k6 metric name (as written, e.g. k6_fw_chat_turns_total) with
// the given tags: {__name__="...", testid="...", tag="value"}.
func (p *prom) selector(name string, tags map[string]string) (string, error) {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		if !labelNameRe.MatchString(k) || k == "testid" || k == model.MetricNameLabel {
			return "", badInput(nil, "tag %q cannot be selected in Prometheus", k)
		}
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s{testid=%s", name, strconv.Quote(p.testid))
	for _, k := range keys {
		fmt.Fprintf(&b, ",%s=%s", k, strconv.Quote(tags[k]))
	}
	b.WriteString("}")
	return b.String(), nil
}

// query runs an instant query at p.at.
func (p *prom) query(ctx context.Context, q string) (model.Value, error) {
	v, err := p.api.Query(ctx, q, p.at)
	if err != nil {
		return nil, p.wrap(err, q)
	}
	return v, nil
}

// wrap turns a client error into a BadInputError naming the server and the query.
func (p *prom) wrap(err error, q string) error {
	if isAPIError(err) {
		return badInput(err, "Prometheus at %s rejected the query %s", p.url, q)
	}
	return badInput(err, "no answer from Prometheus at %s", p.url)
}

// vector runs q and returns its instant vector.
func (p *prom) vector(ctx context.Context, q string) (model.Vector, error) {
	v, err := p.query(ctx, q)
	if err != nil {
		return nil, err
	}
	vec, ok := v.(model.Vector)
	if !ok {
		return nil, badInput(nil, "query %s: Prometheus answered a %s, expected a vector", q, v.Type())
	}
	return vec, nil
}

// matrix runs a range-selector query and returns its raw samples.
func (p *prom) matrix(ctx context.Context, q string) (model.Matrix, error) {
	v, err := p.query(ctx, q)
	if err != nil {
		return nil, err
	}
	m, ok := v.(model.Matrix)
	if !ok {
		return nil, badInput(nil, "query %s: Prometheus answered a %s, expected a matrix", q, v.Type())
	}
	return m, nil
}

// float runs q, which yields at most one float sample, and returns it (false: no sample).
func (p *prom) float(ctx context.Context, q string) (float64, bool, error) {
	vec, err := p.vector(ctx, q)
	if err != nil {
		return 0, false, err
	}
	switch {
	case len(vec) == 0:
		return 0, false, nil
	case len(vec) > 1:
		return 0, false, badInput(nil, "query %s: %d series, expected one", q, len(vec))
	case vec[0].Histogram != nil:
		return 0, false, badInput(nil, "query %s: a histogram, expected a number", q)
	}
	v := float64(vec[0].Value)
	if math.IsNaN(v) {
		return 0, false, nil
	}
	return v, true, nil
}

// names lists the metric names the run wrote (every __name__ with the testid in the window).
func (p *prom) names(ctx context.Context) (map[string]bool, error) {
	match := fmt.Sprintf("{testid=%s}", strconv.Quote(p.testid))
	w, err := model.ParseDuration(p.window)
	if err != nil {
		return nil, badInput(err, "window %s", p.window)
	}
	vals, err := p.api.LabelValues(ctx, model.MetricNameLabel, []string{match}, p.at.Add(-time.Duration(w)), p.at)
	if err != nil {
		return nil, p.wrap(err, "label values of __name__ for "+match)
	}
	out := make(map[string]bool, len(vals))
	for _, v := range vals {
		out[string(v)] = true
	}
	return out, nil
}

// lastAt is `series @ t`: one series selected by all its labels, evaluated at its own last sample.
func lastAt(m model.Metric, t model.Time) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, string(k))
	}
	slices.Sort(names)
	parts := make([]string, 0, len(names))
	for _, k := range names {
		parts = append(parts, k+"="+strconv.Quote(string(m[model.LabelName(k)])))
	}
	return "{" + strings.Join(parts, ",") + "} @ " + t.String()
}
