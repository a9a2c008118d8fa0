package hz

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/failure"
)

const testPassword = "S3cr3t-Pa55"

func TestRedactURL(t *testing.T) {
	t.Parallel()
	for i, tc := range []struct{ in, want string }{
		{"http://127.0.0.1:9/metrics", "http://127.0.0.1:9/metrics"},                                  // 1
		{"http://u:" + testPassword + "@127.0.0.1:9/metrics", "http://****:****@127.0.0.1:9/metrics"}, // 2
		{"https://u@h/metrics?x=1", "https://****@h/metrics?x=1"},                                     // 3
		{"http://u:" + testPassword + "@h:bad/m", "http://****:****@h:bad/m"},                         // 4: unparsable port
		{"http://u:***@h/m", "http://****:****@h/m"},                                                  // 5: net/http's form
		{"not a url", "not a url"},                                                                    // 6
	} {
		assert.Equal(t, tc.want, RedactURL(tc.in), "case %d", i+1)
	}
}

// TestSecretsNeverInErrors: a password in the /metrics or /healthz URL appears in no error
// message, no config error and no fallback note, whatever fails.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	b := newBackend(t, []step{{status: http.StatusUnauthorized}}, []step{{status: http.StatusInternalServerError}})
	withUser := func(u string) string { return strings.Replace(u, "://", "://fwuser:"+testPassword+"@", 1) }
	check := func(what, s string) {
		t.Helper()
		assert.NotContains(t, s, testPassword, what)
		assert.NotContains(t, s, "fwuser", what)
	}

	m := newTestMonitor(t, Config{URL: withUser(b.metricsURL()), HealthzURL: withUser(b.healthzURL())})
	r := m.Scrape(context.Background())
	require.False(t, r.OK)
	check("http_status error", r.Err.Error())
	assert.Contains(t, r.Err.Error(), "****:****@")

	refused := newTestMonitor(t, Config{URL: withUser(closedURL(t, "/metrics")), HealthzURL: withUser(closedURL(t, "/healthz"))})
	r = refused.Scrape(context.Background())
	require.Equal(t, failure.KindConnect, KindOf(r.Err))
	check("connect error", r.Err.Error())

	// A redirect to a URL with userinfo, then a failure there.
	mux := http.NewServeMux()
	redir := newRedirectServer(t, mux)
	mux.HandleFunc("/metrics", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, withUser(redir.URL+"/gone"), http.StatusFound)
	})
	rm := newTestMonitor(t, DefaultConfig(withUser(redir.URL+"/metrics")))
	r = rm.Scrape(context.Background())
	require.False(t, r.OK)
	check("redirect error", r.Err.Error())

	for _, raw := range []string{withUser("ftp://h/m"), withUser("http://h:bad/m")} {
		err := Config{URL: raw}.Validate()
		require.Error(t, err)
		check("config error", err.Error())
		var ue *url.Error
		assert.False(t, errors.As(err, &ue), "no *url.Error (it prints the raw URL)")
	}
}
