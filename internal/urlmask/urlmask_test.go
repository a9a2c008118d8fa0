package urlmask_test

import (
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/internal/urlmask"
)

func TestMask(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"ws://user:pass@h/p", "ws://****:****@h/p"},
		{"ws://user@h/p", "ws://****@h/p"},
		{"http://h:9/metrics?x=1", "http://h:9/metrics?x=1"},
		{"http://u:S3cr3t@h/%zz", "http://****:****@h/%zz"}, // does not parse: masked by hand
		{"http://u@h/%zz", "http://****@h/%zz"},
		{"no scheme at all", "no scheme at all"},
	} {
		require.Equal(t, tc.want, urlmask.String(tc.in), tc.in)
		if u, err := url.Parse(tc.in); err == nil && u.User != nil {
			require.Equal(t, tc.want, urlmask.URL(u), tc.in)
		}
	}
}
