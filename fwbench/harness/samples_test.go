package harness

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadSamplesSelectsPointsByMetricAndTags(t *testing.T) {
	t.Parallel()
	out := `{"type":"Metric","data":{"name":"iterations","type":"counter"},"metric":"iterations"}
{"type":"Point","data":{"time":"2026-01-01T00:00:00Z","value":1,"tags":{"scenario":"chat"}},"metric":"iterations"}
{"type":"Point","data":{"time":"2026-01-01T00:00:01Z","value":1,"tags":{"scenario":"hz"}},"metric":"iterations"}
{"type":"Point","data":{"time":"2026-01-01T00:00:02Z","value":1,"tags":{"scenario":"chat"}},"metric":"iterations"}
{"type":"Point","data":{"time":"2026-01-01T00:00:02Z","value":7,"tags":{}},"metric":"vus_max"}
{"type":"Point","data":{"time":"2026-01-01T00:00:03Z","value":4,"tags":{}},"metric":"vus_max"}
`
	raw, err := ReadSamples(strings.NewReader(out))
	require.NoError(t, err)
	ss := Samples(raw)
	require.Len(t, ss, 5, "the metric declaration is not a point")
	require.InDelta(t, 2, ss.Sum("iterations", "scenario", "chat"), 0)
	require.InDelta(t, 3, ss.Sum("iterations"), 0)
	require.Len(t, ss.Where("iterations", "scenario", "hz"), 1)
	require.InDelta(t, 7, ss.Max("vus_max"), 0)
	require.Zero(t, ss.Max("nothing"))

	_, err = ReadSamples(strings.NewReader("{\"type\":\"Point\"}\nnot json\n"))
	require.ErrorContains(t, err, "line 2")
}
