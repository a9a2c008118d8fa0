package featherweight

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// A turn on a server that never answers ends with kind canceled when the VU's context is
// cancelled, not at its first-token timeout.
func TestChatCanceled(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	time.AfterFunc(150*time.Millisecond, ct.rt.CancelContext)
	res := ct.run(t, `fw.chat(URL + "/silent", "hi")`)
	require.Equal(t, "canceled", res["error"].(map[string]any)["kind"], "the cancel ended it, not a timeout")
	// PushIfNotDone drops samples once the VU context is done; nothing else may be emitted.
	for name, ss := range ct.drain() {
		if name == MetricChatErrors {
			require.Equal(t, "canceled", ss[0].tags["error_kind"])
		}
	}
}

// Canceled turns emit nothing: no turn, failure, error or timing sample.
func TestChatCanceledEmitsNothing(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL_SILENT", ct.url+"/silent"))
	_, err := ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect(URL_SILENT)`)
	require.NoError(t, err)
	require.Len(t, ct.drain()[MetricChatConnecting], 1)
	time.AfterFunc(150*time.Millisecond, ct.rt.CancelContext)
	_, err = ct.rt.RunOnEventLoop(`
		globalThis.out = {};
		s.sendAsync("a").then((r) => { out.async = r.error.kind; });
		fw.chatAsync(URL_SILENT, "b").then((r) => { out.chatAsync = r.error.kind; });
	`)
	require.NoError(t, err)
	out := ct.rt.VU.RuntimeField.Get("out").Export().(map[string]any)
	require.Equal(t, "canceled", out["async"])
	require.Equal(t, "canceled", out["chatAsync"])
	got := ct.drain()
	delete(got, MetricChatConnecting) // chatAsync dialled before the cancel
	require.Empty(t, got, "a canceled turn emits no sample")
}
