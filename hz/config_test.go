package hz

import (
	"errors"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestConfigErrorNamesTheField(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		cfg          Config
		field, error string
	}{
		{Config{}, "URL", "hz: URL or PrometheusURL: one of the two is required"},
		{
			Config{PrometheusURL: "http://p:9090", URL: "http://x/metrics", Query: "q"},
			"PrometheusURL",
			"hz: PrometheusURL can't be used with URL: read one /metrics endpoint, or query Prometheus",
		},
		{Config{PrometheusURL: "http://p:9090"}, "Query", "hz: Query is required with PrometheusURL"},
		{Config{Query: "up", URL: "http://x"}, "Query", "hz: Query needs PrometheusURL"},
		{Config{PrometheusURL: "ws://p:9090", Query: "up"}, "PrometheusURL", `hz: PrometheusURL scheme must be http or https, got "ws://p:9090"`},
		{
			Config{PrometheusURL: "http://p", Query: "up", HealthzURL: "http://x/healthz"},
			"HealthzURL",
			"hz: HealthzURL can't be used with PrometheusURL",
		},
		{
			Config{PrometheusURL: "http://p", Query: "up", Labels: map[string]string{"a": "b"}},
			"Labels",
			"hz: Labels can't be used with PrometheusURL: select the series in the PromQL query",
		},
		{
			Config{PrometheusURL: "http://p", Query: "up", Metric: "other"},
			"Metric",
			"hz: Metric can't be used with PrometheusURL: name the metric in the PromQL query",
		},
		{
			Config{PrometheusURL: "http://p", Query: "up", Mode: ModeCounter},
			"Mode",
			"hz: Mode can't be used with PrometheusURL: compute a rate in the PromQL query, e.g. rate(ticks_total[1m])",
		},
		{
			Config{PrometheusURL: "http://p", Query: "up", Aggregate: "median"},
			"Aggregate",
			`hz: Aggregate must be mean, min, max or sum, got "median"`,
		},
		{Config{URL: "ftp://x/m"}, "URL", `hz: URL scheme must be http or https, got "ftp://x/m"`},
		{Config{URL: "http://x", HealthzURL: "http:///h"}, "HealthzURL", `hz: HealthzURL "http:///h" has no host`},
		{Config{URL: "http://x", Mode: "rate"}, "Mode", `hz: Mode must be auto, gauge, counter or histogram, got "rate"`},
		{Config{URL: "http://x", Aggregate: "p50"}, "Aggregate", `hz: Aggregate must be mean, min, max or sum, got "p50"`},
		{Config{URL: "http://x", MaxBodyBytes: -2}, "MaxBodyBytes", "hz: MaxBodyBytes must be positive, got -2"},
		{Config{URL: "http://x", Min: math.Inf(1)}, "Min", "hz: Min must be a finite number, got +Inf"},
		{Config{URL: "http://x", Headers: map[string]string{"Bad Name": "x"}}, "Headers", `hz: Headers has an invalid header name "Bad Name"`},
		{
			Config{URL: "http://x", Headers: map[string]string{"Authorization": "Bearer s3cret\nX: y"}},
			"Headers",
			`hz: Headers "Authorization" has an invalid value (control characters)`,
		},
	} {
		err := tc.cfg.Validate()
		var ce *ConfigError
		require.True(t, errors.As(err, &ce), "%v", err)
		require.Equal(t, tc.field, ce.Field)
		require.EqualError(t, err, tc.error)
		_, err = New(tc.cfg, nil)
		require.True(t, errors.As(err, &ce), "New reports the same typed error: %v", err)
	}
}
