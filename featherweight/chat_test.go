package featherweight

import (
	"crypto/tls"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
	"gopkg.in/guregu/null.v3"
)

type chatTest struct {
	vuEnv
	url  string // ws://127.0.0.1:port
	host string
}

// chatScenarios is a loopback featherweight server; the path selects the behaviour.
func chatScenarios(t *testing.T) *httptest.Server {
	srv := httptest.NewServer(chatHandler())
	t.Cleanup(srv.Close)
	return srv
}

func chatHandler() http.Handler {
	up := websocket.Upgrader{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/reject" {
			http.Error(w, "no", http.StatusServiceUnavailable)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer func() { _ = ws.Close() }() // the handler is done; the client sees the close either way
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				return
			}
			var m struct{ MessageID string }
			_ = json.Unmarshal(b, &m)
			tok := func(s string) {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"token","data":"`+s+`","messageId":"`+m.MessageID+`"}}`))
			}
			complete := func() {
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`))
			}
			switch r.URL.Path {
			case "/ok":
				for i, s := range []string{"a", "b", "c"} {
					if i > 0 {
						time.Sleep(10 * time.Millisecond)
					}
					tok(s)
				}
				complete()
			case "/ua":
				tok(r.Header.Get("User-Agent") + "|" + r.Header.Get("X-Test"))
				complete()
			case "/one":
				tok("x")
				complete()
			case "/error":
				tok("a")
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"error","content":"overloaded"}`))
			case "/bad":
				_ = ws.WriteMessage(websocket.TextMessage, []byte(`<html>`))
			case "/silent":
				// never answers: first-token / total timeouts and cancellation
			case "/stall":
				tok("a")
			case "/close":
				tok("a")
				_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, ""), time.Now().Add(time.Second))
			}
		}
	})
}

func newChatTest(t *testing.T) *chatTest {
	t.Helper()
	srv := chatScenarios(t)
	env := newVUEnv(t, "chat", lib.Options{
		SystemTags: metrics.NewSystemTagSet(metrics.TagURL, metrics.TagName, metrics.TagStatus, metrics.TagSubproto),
		UserAgent:  null.StringFrom("fw-test"),
	})
	env.rt.MoveToVUContext(env.state)
	return &chatTest{vuEnv: env, url: "ws" + strings.TrimPrefix(srv.URL, "http"), host: srv.Listener.Addr().String()}
}

// run evaluates code on the event loop with URL bound to the server's base URL.
func (ct *chatTest) run(t *testing.T, code string) map[string]any {
	t.Helper()
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL", ct.url))
	v, err := ct.rt.RunOnEventLoop(code)
	require.NoError(t, err)
	if v == nil {
		return nil
	}
	out, _ := v.Export().(map[string]any)
	return out
}

type sampleView struct {
	value float64
	tags  map[string]string
}

func (ct *chatTest) drain() map[string][]sampleView {
	out := map[string][]sampleView{}
	for {
		select {
		case sc := <-ct.samples:
			for _, s := range sc.GetSamples() {
				out[s.Metric.Name] = append(out[s.Metric.Name], sampleView{s.Value, s.Tags.Map()})
			}
		default:
			return out
		}
	}
}

// A successful turn's result and samples hold what the server sent (3 tokens, their text, 2
// gaps) and timings in their necessary order; the SLOs are generous enough that goodput never
// depends on how fast this machine is.
func TestChatSuccessSamples(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `fw.chat(URL + "/ok", "hi", {tags: {flow: "t1"}, keepText: 10, slo: {ttft: "1h", tpot: 3600000}})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	require.Nil(t, res["error"])
	require.EqualValues(t, 3, res["tokens"])
	require.Equal(t, "frames", res["tokensSource"])
	require.EqualValues(t, 3, res["chunks"])
	require.Equal(t, "abc", res["text"])
	ttft, duration, tpot := res["ttft"].(float64), res["duration"].(float64), res["tpot"].(float64)
	require.GreaterOrEqual(t, ttft, 0.0)
	require.InDelta(t, (duration-ttft)/2, tpot, 1e-6)
	itl := res["itl"].(map[string]any)
	require.EqualValues(t, 2, itl["count"])
	gapMin, gapAvg, gapMax := itl["min"].(float64), itl["avg"].(float64), itl["max"].(float64)
	require.GreaterOrEqual(t, gapMin, 0.0)
	for _, q := range []string{"p50", "p90", "p99"} {
		require.GreaterOrEqual(t, itl[q].(float64), gapMin, q)
		require.LessOrEqual(t, itl[q].(float64), gapMax, q)
	}
	require.LessOrEqual(t, ttft+2*gapAvg, duration+1e-6, "first token, then the gaps, then the terminal frame")

	got := ct.drain()
	for name, want := range map[string][]float64{
		MetricChatTurns: {1}, MetricChatFailed: {0}, MetricChatTokens: {3}, MetricChatGoodput: {1},
	} {
		require.Len(t, got[name], len(want), name)
		require.Equal(t, want[0], got[name][0].value, name)
	}
	require.Len(t, got[MetricChatConnecting], 1)
	require.Len(t, got[MetricChatTTFT], 1)
	require.InDelta(t, ttft, got[MetricChatTTFT][0].value, 1e-9)
	require.Len(t, got[MetricChatITL], 2)
	require.InDelta(t, gapMin, min(got[MetricChatITL][0].value, got[MetricChatITL][1].value), 1e-9)
	require.InDelta(t, gapMax, max(got[MetricChatITL][0].value, got[MetricChatITL][1].value), 1e-9)
	require.Len(t, got[MetricChatDuration], 1)
	require.InDelta(t, duration, got[MetricChatDuration][0].value, 1e-9)
	require.Len(t, got[MetricChatTPOT], 1)
	require.InDelta(t, tpot, got[MetricChatTPOT][0].value, 1e-9)
	require.Empty(t, got[MetricChatErrors])
	tags := got[MetricChatTurns][0].tags
	require.Equal(t, "t1", tags["flow"])
	require.Equal(t, "chat", tags["scenario"])
	require.Equal(t, "featherweight", tags["protocol"])
	require.Equal(t, ct.url+"/ok", tags["url"])
	require.Equal(t, ct.url+"/ok", tags["name"])
	require.Equal(t, "101", tags["status"])
	require.Equal(t, got[MetricChatConnecting][0].tags["status"], "101")
}

func TestChatErrorKinds(t *testing.T) {
	t.Parallel()
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closedAddr := l.Addr().String()
	require.NoError(t, l.Close())

	short := `{timeouts: {firstToken: 150, idle: "150ms", total: "2s"}}`
	cases := []struct {
		name, code, kind string
		connecting       int
	}{
		{"connect", `fw.chat("ws://` + closedAddr + `/x", "hi")`, "connect", 1},
		{"connect blocked host", `fw.chat("ws://blocked.test/x", "hi")`, "connect", 1},
		{"handshake", `fw.chat(URL + "/reject", "hi")`, "handshake", 1},
		{"server_error", `fw.chat(URL + "/error", "hi")`, "server_error", 1},
		{"protocol", `fw.chat(URL + "/bad", "hi")`, "protocol", 1},
		{"timeout_first_token", `fw.chat(URL + "/silent", "hi", ` + short + `)`, "timeout_first_token", 1},
		{"timeout_idle", `fw.chat(URL + "/stall", "hi", ` + short + `)`, "timeout_idle", 1},
		{"timeout_total", `fw.chat(URL + "/stall", "hi", {timeouts: {total: 200}})`, "timeout_total", 1},
		{"closed", `fw.chat(URL + "/close", "hi")`, "closed", 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ct := newChatTest(t)
			res := ct.run(t, tc.code)
			require.Equal(t, false, res["ok"])
			e := res["error"].(map[string]any)
			require.Equal(t, tc.kind, e["kind"], "%v", e["message"])
			got := ct.drain()
			require.Len(t, got[MetricChatConnecting], tc.connecting)
			require.Len(t, got[MetricChatTurns], 1)
			require.Equal(t, 1.0, got[MetricChatFailed][0].value)
			require.Equal(t, 0.0, got[MetricChatGoodput][0].value)
			require.Len(t, got[MetricChatErrors], 1)
			require.Equal(t, 1.0, got[MetricChatErrors][0].value)
			require.Equal(t, tc.kind, got[MetricChatErrors][0].tags["error_kind"])
			require.Empty(t, got[MetricChatDuration])
			require.Empty(t, got[MetricChatTPOT])
			require.Nil(t, res["duration"])
			if tc.kind == "closed" {
				require.EqualValues(t, websocket.CloseInternalServerErr, res["closeCode"])
			}
		})
	}
}

func TestChatSessionAndAsync(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `
		const s = fw.connect(URL + "/ok", {protocol: "featherweight"});
		if (!s.connected || s.protocol !== "featherweight") throw new Error("not connected");
		const a = s.send("one");
		const b = s.send("two", {tags: {turn: "2"}, timeouts: {idle: "5s"}});
		s.close();
		const c = s.send("after close");
		({a: a.ok, b: b.ok, c: c.error.kind, ids: a.messageId !== b.messageId})
	`)
	require.Equal(t, map[string]any{"a": true, "b": true, "c": "closed", "ids": true}, res)
	got := ct.drain()
	require.Len(t, got[MetricChatConnecting], 1)
	require.Len(t, got[MetricChatTurns], 2, "a send after close() is the script's doing: no turn")
	require.Equal(t, "2", got[MetricChatTurns][1].tags["turn"])
	require.Empty(t, got[MetricChatErrors])

	// async: several concurrent one-shots, and a session rejecting a concurrent sendAsync
	_, err := ct.rt.RunOnEventLoop(`
		globalThis.out = {};
		Promise.all([fw.chatAsync(URL + "/ok", "1"), fw.chatAsync(URL + "/one", "2"), fw.chatAsync(URL + "/ok", "3")])
			.then((rs) => { out.all = rs.map((r) => r.tokens).join(","); });
		const s2 = fw.connect(URL + "/ok");
		s2.sendAsync("x").then((r) => { out.first = r.ok; s2.close(); });
		s2.sendAsync("y").then(() => { out.second = "resolved"; }, (e) => { out.second = String(e); });
	`)
	require.NoError(t, err)
	v := ct.rt.VU.RuntimeField.Get("out").Export().(map[string]any)
	require.Equal(t, "3,1,3", v["all"])
	require.Equal(t, true, v["first"])
	require.Contains(t, v["second"], "one turn at a time")
}

func TestChatBadOptions(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	cases := map[string]string{
		`fw.chat(URL, "x", {nope: 1})`:                                   "unknown option nope",
		`fw.chat(URL, "x", {timeouts: {firstToken: -1}})`:                "timeouts.firstToken must not be negative",
		`fw.chat(URL, "x", {timeouts: {idle: "soon"}})`:                  "timeouts.idle",
		`fw.chat(URL, "x", {timeouts: {forever: 1}})`:                    "unknown option timeouts.forever",
		`fw.chat(URL, "x", {protocol: "grpc"})`:                          "unknown protocol",
		`fw.chat(URL, "x", {protocol: 42})`:                              "protocol",
		`fw.chat(URL, "x", {protocol: {name: "openai", doneOn: "x"}})`:   "doneOn",
		`fw.chat(URL, "x", {protocol: {typeField: "t"}})`:                "tokenTypes",
		`fw.chat(URL, "x", {protocol: {name: "openai", colour: "red"}})`: "unknown option protocol.colour",
		`fw.chat(URL, "x", {headers: "x"})`:                              "headers must be an object",
		`fw.chat(URL, "x", {subprotocols: [1]})`:                         "subprotocols[0]",
		`fw.chat(URL, "x", {maxFrameBytes: -5})`:                         "maxFrameBytes must not be negative",
		`fw.chat(URL, "x", {keepText: "all"})`:                           "keepText must be a number",
		`fw.chat(URL, "x", {slo: {ttft: -3}})`:                           "slo.ttft must not be negative",
		`fw.chat(URL, "x", {slo: {itl: 3}})`:                             "unknown option slo.itl",
		`fw.chat(URL, "x", {tags: 5})`:                                   "tags must be an object",
		`fw.connect(URL + "/ok").send("x", {protocol: "openai"})`:        "only be set in connect()",
		`fw.chat(URL, "x", "nope")`:                                      "params must be an object",
	}
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL", ct.url))
	for code, want := range cases {
		_, err := ct.rt.RunOnEventLoop(code)
		require.ErrorContains(t, err, want, code)
	}
	got := ct.drain()
	require.Empty(t, got[MetricChatTurns])       // bad options never count as turns
	require.Len(t, got[MetricChatConnecting], 1) // only the connect() in the send() case
}

func TestChatInitContextThrows(t *testing.T) {
	t.Parallel()
	rt := newModuleRuntime(t)
	for _, code := range []string{`fw.chat("ws://127.0.0.1:1/", "x")`, `fw.connect("ws://127.0.0.1:1/")`, `fw.chatAsync("ws://127.0.0.1:1/", "x")`} {
		_, err := rt.RunOnEventLoop(code)
		require.ErrorContains(t, err, "init context", code)
	}
}

func TestChatProtocolsAndCustom(t *testing.T) {
	t.Parallel()
	srv := wsTestServer(t, func(ws *websocket.Conn, r *http.Request) {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var frames []string
		switch r.URL.Path {
		case "/custom":
			if !strings.Contains(string(b), `"ask":"hi"`) {
				frames = []string{`{"kind":"oops","why":"bad request ` + string(b) + `"}`}
				break
			}
			frames = []string{`{"kind":"ka"}`, `{"kind":"d","p":{"t":"x"}}`, `{"kind":"d","p":{"t":"y"}}`, `{"kind":"fin","n":9}`}
		case "/text":
			frames = []string{"he", "llo", "<eos>"}
		}
		for _, f := range frames {
			_ = ws.WriteMessage(websocket.TextMessage, []byte(f))
		}
		_, _, _ = ws.ReadMessage()
	})
	ct := newChatTest(t)
	ct.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	res := ct.run(t, `fw.chat(URL + "/custom", "hi", {protocol: {request: {ask: "{{prompt}}"}, typeField: "kind",
		tokenTypes: ["d"], doneTypes: ["fin"], errorTypes: ["oops"], textField: "p.t", errorField: "why", usageField: "n"}})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	require.EqualValues(t, 9, res["tokens"])
	require.Equal(t, "usage", res["tokensSource"])
	require.EqualValues(t, 2, res["chunks"])
	res = ct.run(t, `fw.chat(URL + "/text", "hi", {protocol: {name: "text", endSentinel: "<eos>"}, keepText: true})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	require.Equal(t, "hello", res["text"])
	got := ct.drain()
	require.Equal(t, "custom", got[MetricChatTurns][0].tags["protocol"])
	require.Equal(t, "text", got[MetricChatTurns][1].tags["protocol"])
}

func TestChatHeadersAndNameTag(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `fw.chat(URL + "/ua", "hi", {keepText: true, headers: {"X-Test": "yes"}, tags: {name: "chat-ua"}})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	require.Equal(t, "fw-test|yes", res["text"], "k6's userAgent and the params headers are sent")
	res = ct.run(t, `fw.chat(URL + "/ua", "hi", {keepText: 3, headers: {"User-Agent": "mine"}})`)
	require.Equal(t, "min", res["text"], "an explicit User-Agent wins; keepText bounds the text")
	got := ct.drain()
	require.Equal(t, "chat-ua", got[MetricChatTurns][0].tags["name"])
	require.Equal(t, "chat-ua", got[MetricChatTurns][0].tags["url"])
	require.EqualValues(t, 2, ct.rt.VU.StateField.Dialer.(*blockingDialer).dials.Load(), "dials go through state.Dialer")
}

func TestChatTLSUsesStateTLSConfig(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(chatHandler())
	defer srv.Close()
	ct := newChatTest(t)
	ct.url = "wss" + strings.TrimPrefix(srv.URL, "https")
	res := ct.run(t, `fw.chat(URL + "/one", "hi")`)
	require.Equal(t, "connect", res["error"].(map[string]any)["kind"], "self-signed certificate is refused by default")
	ct.rt.VU.StateField.TLSConfig = &tls.Config{InsecureSkipVerify: true} // k6's insecureSkipTLSVerify
	res = ct.run(t, `fw.chat(URL + "/one", "hi")`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
}
