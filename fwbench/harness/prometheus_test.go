package harness

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestPrometheusConfigListsScrapeTargets(t *testing.T) {
	t.Parallel()
	cfg := string(prometheusConfig(PrometheusOptions{ScrapeTargets: []string{"127.0.0.1:1", "127.0.0.1:2"}}.withDefaults()))
	require.Contains(t, cfg, "scrape_interval: 1s")
	require.Contains(t, cfg, `targets: ["127.0.0.1:1", "127.0.0.1:2"]`)

	none := string(prometheusConfig(PrometheusOptions{}.withDefaults()))
	require.Contains(t, none, "scrape_configs: []")
}

func TestPrometheusQueryReturnsResultOrTypedError(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		if strings.Contains(r.Form.Get("query"), "bad") {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error at char 4"}`))
			return
		}
		_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"99"]}]}}`))
	}))
	defer srv.Close()
	p := &Prometheus{URL: srv.URL}

	res, err := p.Query(t.Context(), "up")
	require.NoError(t, err)
	require.JSONEq(t, `[{"metric":{},"value":[1,"99"]}]`, string(res))

	_, err = p.Query(t.Context(), "bad(")
	var qe *QueryError
	require.ErrorAs(t, err, &qe)
	require.Equal(t, http.StatusBadRequest, qe.Status)
	require.Equal(t, "bad_data", qe.ErrorType)
}
