//go:build deploy

package harness

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestStartPrometheusAnswersQueries(t *testing.T) {
	t.Parallel()
	p, err := StartPrometheus(t.Context(), PrometheusOptions{RemoteWriteReceiver: true, NativeHistograms: true})
	require.NoError(t, err)
	defer func() { require.NoError(t, p.Stop()) }()
	res, err := p.Query(t.Context(), "vector(42)")
	require.NoError(t, err)
	require.Contains(t, string(res), `"42"`)
}
