package featherweight

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
)

// longReplies streams 600 tokens per prompt (599 gaps: two full ITL batches and a partial one).
const longTokens = 600

func newLongChatTest(t *testing.T) *chatTest {
	t.Helper()
	srv := wsTestServer(t, func(ws *websocket.Conn, _ *http.Request) {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ MessageID string }
			_ = json.Unmarshal(b, &m)
			for range longTokens {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"token","data":"t","messageId":"`+m.MessageID+`"}}`))
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`))
		}
	})
	env := newVUEnv(t, "chat", lib.Options{SystemTags: metrics.NewSystemTagSet(metrics.TagURL, metrics.TagName)})
	env.rt.MoveToVUContext(env.state)
	return &chatTest{vuEnv: env, url: "ws" + strings.TrimPrefix(srv.URL, "http"), host: srv.Listener.Addr().String()}
}

// In gaps mode (the default) every gap is one fw_chat_itl sample with the turn's tags, pushed in
// batches as the reply streams, on one-shot chats and on sessions.
func TestITLGapsStreamEveryGap(t *testing.T) {
	t.Parallel()
	ct := newLongChatTest(t)
	for _, code := range []string{
		`fw.chat(URL, "x", {tags: {flow: "long"}})`,
		`(() => { const s = fw.connect(URL, {tags: {flow: "long"}}); try { return s.send("x") } finally { s.close() } })()`,
	} {
		res := ct.run(t, code)
		require.Equal(t, true, res["ok"], "%s: %v", code, res["error"])
		itl := res["itl"].(map[string]any)
		require.EqualValues(t, longTokens-1, itl["count"])
		require.LessOrEqual(t, itl["min"].(float64), itl["p50"].(float64))
		require.LessOrEqual(t, itl["p99"].(float64), itl["max"].(float64))
		got := ct.drain()
		require.Len(t, got[MetricChatITL], longTokens-1, code)
		for _, s := range got[MetricChatITL] {
			require.Equal(t, "long", s.tags["flow"])
			require.Equal(t, "featherweight", s.tags["protocol"])
		}
		require.Empty(t, got[MetricChatITLMax])
	}
}

// In summary mode a turn emits one fw_chat_itl (its mean gap) and one fw_chat_itl_max.
func TestITLSummaryMode(t *testing.T) {
	t.Parallel()
	ct := newLongChatTest(t)
	res := ct.run(t, `fw.chat(URL, "x", {itl: "summary"})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	itl := res["itl"].(map[string]any)
	require.EqualValues(t, longTokens-1, itl["count"])
	got := ct.drain()
	require.Len(t, got[MetricChatITL], 1)
	require.InDelta(t, itl["avg"].(float64), got[MetricChatITL][0].value, 1e-9)
	require.Len(t, got[MetricChatITLMax], 1)
	require.InDelta(t, itl["max"].(float64), got[MetricChatITLMax][0].value, 1e-9)

	_, err := ct.rt.RunOnEventLoop(`fw.chat(URL, "x", {itl: "all"})`)
	require.ErrorContains(t, err, `itl must be "gaps" or "summary", got "all"`)
}

// countServer answers a prompt "k" with k token frames and the complete frame.
func countServer(t *testing.T) string {
	t.Helper()
	srv := wsTestServer(t, func(ws *websocket.Conn, _ *http.Request) {
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ Content, MessageID string }
			_ = json.Unmarshal(b, &m)
			k, _ := strconv.Atoi(m.Content)
			for range k {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"token","data":"t","messageId":"`+m.MessageID+`"}}`))
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`))
		}
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

// Sessions streaming at the same time, turn after turn, each get the ITL summary of their own
// turn: as many gaps as the server sent tokens less one, and the count, min, max and mean of
// exactly the fw_chat_itl samples that turn emitted.
func TestSessionITLSummariesAreTheirOwn(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	ct.url = countServer(t)
	ct.run(t, `
		globalThis.out = [];
		const stream = async (i) => {
			const s = fw.connect(URL);
			for (const [j, k] of [3 + i, 30 - i, 1, 12].entries()) {
				const r = await s.sendAsync(String(k), {tags: {sess: String(i), turn: String(j)}});
				out.push({key: i + "/" + j, k, ok: r.ok, itl: r.itl});
			}
			s.close();
		};
		for (let i = 0; i < 5; i++) stream(i);
	`)
	var out []struct {
		Key string
		K   int
		OK  bool
		ITL struct {
			Count              int
			Min, Avg, Max, P50 *float64
		}
	}
	b, err := json.Marshal(ct.rt.VU.RuntimeField.Get("out"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &out))
	require.Len(t, out, 20)
	gaps := map[string][]float64{}
	for _, s := range ct.drain()[MetricChatITL] {
		key := s.tags["sess"] + "/" + s.tags["turn"]
		gaps[key] = append(gaps[key], s.value)
	}
	for _, r := range out {
		require.True(t, r.OK, r.Key)
		require.Equal(t, r.K-1, r.ITL.Count, r.Key)
		require.Len(t, gaps[r.Key], r.K-1, r.Key)
		if r.K == 1 {
			require.Nil(t, r.ITL.Min, r.Key)
			continue
		}
		require.Equal(t, slices.Min(gaps[r.Key]), *r.ITL.Min, r.Key)
		require.Equal(t, slices.Max(gaps[r.Key]), *r.ITL.Max, r.Key)
		sum := 0.0
		for _, g := range gaps[r.Key] {
			sum += g
		}
		require.InDelta(t, sum/float64(len(gaps[r.Key])), *r.ITL.Avg, 1e-6, r.Key) // 1 ns
		require.LessOrEqual(t, *r.ITL.Min, *r.ITL.P50, r.Key)
		require.LessOrEqual(t, *r.ITL.P50, *r.ITL.Max, r.Key)
	}
}
