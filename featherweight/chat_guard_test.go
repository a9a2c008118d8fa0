package featherweight

import (
	"fmt"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.k6.io/k6/metrics"
)

// recordingLogger is an errorLogger that keeps its lines.
type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) Errorf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

// A panic in a turn (sync or async, one-shot or session) becomes a failed turn of kind internal,
// counted like any failure, never a crash. Not parallel: it sets the package's hook.
func TestTurnPanicBecomesInternalFailure(t *testing.T) { //nolint:paralleltest // sets turnHook
	hook := func(prompt string) {
		if prompt == "boom" {
			panic("injected test panic")
		}
	}
	turnHook.Store(&hook)
	t.Cleanup(func() { turnHook.Store(nil) })
	ct := newChatTest(t)
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL", ct.url))
	_, err := ct.rt.RunOnEventLoop(`
		globalThis.out = {};
		fw.chatAsync(URL + "/ok", "boom").then((r) => { out.chatAsync = r.error.kind + ": " + r.error.message; });
		out.chat = fw.chat(URL + "/ok", "boom").error.kind;
		const s = fw.connect(URL + "/ok");
		s.sendAsync("boom").then((r) => {
			out.sendAsync = r.error.kind;
			out.after = s.send("fine").ok; // the session is usable (and not busy) after the panic
			out.send = s.send("boom").error.kind;
			s.close();
		});
	`)
	require.NoError(t, err)
	out := ct.rt.VU.RuntimeField.Get("out").Export().(map[string]any)
	require.Equal(t, "internal: internal error in the chat client: injected test panic", out["chatAsync"])
	require.Equal(t, "internal", out["chat"])
	require.Equal(t, "internal", out["sendAsync"])
	require.Equal(t, "internal", out["send"])
	require.Equal(t, true, out["after"])
	got := ct.drain()
	require.Len(t, got[MetricChatTurns], 5)
	require.Len(t, got[MetricChatErrors], 4)
	for _, s := range got[MetricChatErrors] {
		require.Equal(t, "internal", s.tags["error_kind"])
	}
}

// The stack of a turn panic is logged once per process, however many turns panic.
func TestTurnPanicStackLoggedOnce(t *testing.T) { //nolint:paralleltest // resets panicLogged
	panicLogged = sync.Once{}
	ct := newChatTest(t)
	log := &recordingLogger{}
	c := &chatCall{
		ctx: t.Context(), target: &chatURL{shown: "ws://x/"}, params: &chatParams{},
		samples: ct.samples, m: newTestMetrics(t), logger: log,
		tags: metrics.TagsAndMeta{Tags: metrics.NewRegistry().RootTagSet()},
	}
	for range 3 {
		res := func() (out map[string]any) {
			defer c.recoverTurn(&out)
			panic("again")
		}()
		require.Equal(t, "internal", res["error"].(map[string]any)["kind"])
	}
	require.Len(t, log.lines, 1)
	require.Contains(t, log.lines[0], "again")
	require.Contains(t, log.lines[0], "recoverTurn", "the stack is logged")
	require.Len(t, ct.drain()[MetricChatErrors], 3)
}
