package failure

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// The values are the error_kind tag users filter and threshold on: they must never change.
func TestKindValuesAreTheErrorKindTags(t *testing.T) {
	t.Parallel()
	require.Equal(t, []Kind{
		"connect", "handshake", "timeout_first_token", "timeout_idle", "timeout_total", "closed",
		"server_error", "protocol", "canceled", "internal",
	}, ChatKinds())
	require.Equal(t, []Kind{
		"http_status", "timeout", "connect", "read", "body_too_large", "parse", "missing_metric",
		"ambiguous", "type_mismatch", "nan", "healthz_parse", "canceled", "invalid_url",
	}, HzKinds())
}

// Kinds the two clients share mean the same thing; every other kind belongs to one client only.
func TestChatAndHzShareOnlyConnectAndCanceled(t *testing.T) {
	t.Parallel()
	hz := map[Kind]bool{}
	for _, k := range HzKinds() {
		require.False(t, hz[k], "%s listed twice", k)
		hz[k] = true
	}
	var shared []Kind
	for _, k := range ChatKinds() {
		if hz[k] {
			shared = append(shared, k)
		}
	}
	require.Equal(t, []Kind{KindConnect, KindCanceled}, shared)
}
