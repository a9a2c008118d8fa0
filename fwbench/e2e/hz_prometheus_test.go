//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// promAPI answers /api/v1/query as Prometheus does: the vector of two replicas' loop gauge for
// consciousness_loop_hz, a 400 bad_data error for anything else. It counts the requests that
// carried the expected bearer token and those that did not.
type promAPI struct {
	token            string
	mu               sync.Mutex
	authorized, anon int
	queries          map[string]int
}

const (
	promFast = "10.0.0.1:8080"
	promSlow = "10.0.0.2:8080"
)

func (p *promAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query().Get("query")
	p.mu.Lock()
	if r.Header.Get("Authorization") == "Bearer "+p.token {
		p.authorized++
	} else {
		p.anon++
	}
	p.queries[q]++
	p.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.URL.Path != "/api/v1/query":
		http.NotFound(w, r)
	case q == "consciousness_loop_hz":
		series := func(inst, pod, v string) string {
			return fmt.Sprintf(`{"metric":{"__name__":"consciousness_loop_hz","app":"featherweight-consciousness",`+
				`"instance":%q,"pod":%q,"job":"fwsim"},"value":[1796194057.548,%q]}`, inst, pod, v)
		}
		_, _ = fmt.Fprintf(w, `{"status":"success","data":{"resultType":"vector","result":[%s,%s]}}`,
			series(promFast, "fw-0", "99.5"), series(promSlow, "fw-1", "90"))
	default:
		w.WriteHeader(http.StatusBadRequest)
		_, _ = fmt.Fprintf(w, `{"status":"error","errorType":"bad_data","error":"invalid parameter \"query\": 1:%d: parse error: unexpected end of input inside braces"}`, len(q))
	}
}

// promRead is one reading as testdata/hz-prometheus.js logged it.
type promRead struct {
	Monitor string   `json:"monitor"`
	OK      bool     `json:"ok"`
	Hz      *float64 `json:"hz"`
	Pass    bool     `json:"pass"`
	Source  string   `json:"source"`
	Series  int      `json:"series"`
	Values  []struct {
		Labels map[string]string `json:"labels"`
		Hz     float64           `json:"hz"`
		Pass   bool              `json:"pass"`
	} `json:"values"`
	Kind string `json:"kind"`
	Msg  string `json:"msg"`
}

// TestHzPrometheusFleet runs the real k6 against an HTTP server that answers the Prometheus query
// API: per replica, the samples and checks carry the replica's labels, so a per-instance threshold
// fails only for the slow replica; aggregate 'min' reads the slowest replica and fails its check;
// Prometheus's error response is a failed scrape tagged error_kind; every request carries the
// bearer token from the monitor's headers.
func TestHzPrometheusFleet(t *testing.T) {
	t.Parallel()
	const scrapes = 3
	api := &promAPI{token: "t0ken-s3cret", queries: map[string]int{}}
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)

	run := RunK6(t, "testdata/hz-prometheus.js", map[string]string{
		"FW_PROMETHEUS_URL": srv.URL, "FW_TOKEN": api.token, "FW_SCRAPES": fmt.Sprint(scrapes),
		"FW_FAST": promFast, "FW_SLOW": promSlow,
	}, "--log-format", "json")
	requireNoPanic(t, run)
	assert.Equal(t, 99, run.ExitCode, "thresholds crossed: the slow replica and the fleet check")
	assert.NotContains(t, run.Stdout+run.Stderr, api.token, "the token is never printed")

	// Thresholds: per instance, and the fleet check.
	line := consoleLinesRaw(run.Stdout, "FWTHRESHOLDS ")
	require.Len(t, line, 1, run.Stdout)
	var verdicts map[string]bool
	require.NoError(t, json.Unmarshal([]byte(line[0]), &verdicts))
	assert.Equal(t, map[string]bool{
		"fw_loop_hz{instance:" + promFast + "}: min>=95": true,
		"fw_loop_hz{instance:" + promSlow + "}: min>=95": false,
		"checks{type:hz,monitor:fleet}: rate==1":         false,
	}, verdicts)

	// What the script saw.
	reads := map[string][]promRead{}
	for _, l := range consoleLines(t, run.Stderr, "FWP ") {
		var r promRead
		require.NoError(t, json.Unmarshal([]byte(l), &r), l)
		reads[r.Monitor] = append(reads[r.Monitor], r)
	}
	require.Len(t, reads["replicas"], scrapes)
	for _, r := range reads["replicas"] {
		assert.True(t, r.OK, r.Msg)
		assert.False(t, r.Pass, "one replica is below 95")
		assert.Nil(t, r.Hz, "two series: no single value")
		assert.Equal(t, "prometheus", r.Source)
		require.Len(t, r.Values, 2)
		assert.Equal(t, promFast, r.Values[0].Labels["instance"])
		assert.Equal(t, 99.5, r.Values[0].Hz)
		assert.True(t, r.Values[0].Pass)
		assert.Equal(t, "fw-1", r.Values[1].Labels["pod"])
		assert.Equal(t, 90.0, r.Values[1].Hz)
		assert.NotContains(t, r.Values[0].Labels, "__name__")
	}
	require.Len(t, reads["fleet"], scrapes)
	for _, r := range reads["fleet"] {
		assert.True(t, r.OK, r.Msg)
		require.NotNil(t, r.Hz)
		assert.Equal(t, 90.0, *r.Hz, "min is the slowest replica")
		assert.False(t, r.Pass)
		assert.Nil(t, r.Values)
	}
	require.Len(t, reads["broken"], scrapes)
	for _, r := range reads["broken"] {
		assert.False(t, r.OK)
		assert.Equal(t, "http_status", r.Kind)
		assert.Contains(t, r.Msg, "HTTP 400 Bad Request: bad_data: invalid parameter")
	}

	// The samples say the same.
	for _, tc := range []struct {
		inst, pod string
		hz, pass  float64
	}{{promFast, "fw-0", 99.5, 1}, {promSlow, "fw-1", 90, 0}} {
		hzs := run.Where("fw_loop_hz", "monitor", "replicas", "instance", tc.inst)
		require.Len(t, hzs, scrapes, tc.inst)
		for _, s := range hzs {
			assert.Equal(t, tc.hz, s.Value)
			assert.Equal(t, tc.pod, s.Tags["pod"])
			assert.Equal(t, "fwsim", s.Tags["job"])
			assert.Equal(t, "prometheus", s.Tags["source"])
			assert.NotContains(t, s.Tags, "__name__")
		}
		checks := run.Where("checks", "type", "hz", "monitor", "replicas", "instance", tc.inst)
		require.Len(t, checks, scrapes, tc.inst)
		for _, s := range checks {
			assert.Equal(t, tc.pass, s.Value, tc.inst)
			assert.Equal(t, "hz >= 95", s.Tags["check"])
		}
	}
	fleet := run.Where("fw_loop_hz", "monitor", "fleet")
	require.Len(t, fleet, scrapes)
	for _, s := range fleet {
		assert.Equal(t, 90.0, s.Value)
		assert.NotContains(t, s.Tags, "instance", "an aggregate has no series labels")
	}
	assert.Equal(t, scrapes, run.Count("checks", "type", "hz", "monitor", "fleet"))
	assert.Zero(t, run.Sum("checks", "type", "hz", "monitor", "fleet"))
	assert.EqualValues(t, scrapes, run.Sum("fw_hz_scrape_failed", "monitor", "broken", "error_kind", "http_status"))
	assert.Zero(t, run.Count("fw_loop_hz", "monitor", "broken"))
	assert.Zero(t, run.Sum("fw_hz_scrape_failed", "monitor", "replicas"))
	assert.Equal(t, scrapes, run.Count("fw_hz_scrape_failed", "monitor", "replicas"), "one per scrape, not per series")

	api.mu.Lock()
	defer api.mu.Unlock()
	assert.Equal(t, 3*scrapes, api.authorized, "every query carries the bearer token")
	assert.Zero(t, api.anon)
	assert.Equal(t, map[string]int{"consciousness_loop_hz": 2 * scrapes, "consciousness_loop_hz{": scrapes}, api.queries)
}

// consoleLinesRaw returns the rest of each line of out that starts with prefix (handleSummary's
// stdout is printed as is, not as a log line).
func consoleLinesRaw(out, prefix string) []string {
	var lines []string
	for l := range strings.SplitSeq(out, "\n") {
		if rest, ok := strings.CutPrefix(l, prefix); ok {
			lines = append(lines, rest)
		}
	}
	return lines
}
