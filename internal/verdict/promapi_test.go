package verdict

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAQueryPrometheusRejectsIsBadInputNamingTheQuery(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/prefix/api/v1/label/__name__/values" {
			if r.Method != http.MethodGet { // as Prometheus 2.42 answers
				w.WriteHeader(http.StatusMethodNotAllowed)
				return
			}
			_, _ = w.Write([]byte(`{"status":"success","data":["k6_vus","up"]}`))
			return
		}
		require.Equal(t, http.MethodPost, r.Method)
		require.NoError(t, r.ParseForm())
		if r.URL.Path == "/prefix/api/v1/query" && r.Form.Get("query") == "up" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"status":"success","data":{"resultType":"vector","result":[` +
				`{"metric":{"__name__":"up","job":"x"},"value":[1700000000.5,"1"]}]}}`))
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		_, _ = w.Write([]byte(`{"status":"error","errorType":"bad_data","error":"parse error at char 3"}`))
	}))
	defer srv.Close()
	p, err := newProm(Options{URL: srv.URL + "/prefix/", TestID: "t", Window: time.Hour, At: time.Unix(1700000000, 0)})
	require.NoError(t, err)

	vec, err := p.vector(context.Background(), "up")
	require.NoError(t, err)
	require.Len(t, vec, 1)
	require.InDelta(t, 1, float64(vec[0].Value), 0)
	require.Equal(t, "x", string(vec[0].Metric["job"]))

	names, err := p.names(context.Background())
	require.NoError(t, err, "a label's values are asked for by GET")
	require.Equal(t, map[string]bool{"k6_vus": true, "up": true}, names)

	_, err = p.vector(context.Background(), "up{")
	require.ErrorIs(t, err, ErrBadInput)
	require.ErrorContains(t, err, "rejected the query up{")
	require.ErrorContains(t, err, "bad_data (HTTP 400): parse error at char 3")
}

func TestNoAnswerFromPrometheusIsBadInput(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("<html>a proxy's error page</html>"))
	}))
	defer srv.Close()
	p, err := newProm(Options{URL: srv.URL, TestID: "t", Window: time.Hour, At: time.Now()})
	require.NoError(t, err)
	_, err = p.vector(context.Background(), "up")
	require.ErrorIs(t, err, ErrBadInput)
	require.ErrorContains(t, err, "no answer from Prometheus")
}
