package featherweight

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/metrics"
)

// Script bugs throw a JS exception naming the argument; they are never counted (issue 10, defect 2).
func TestChatBadArgumentsThrow(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	wsURL := "url must be a ws:// or wss:// URL, got "
	cases := map[string]string{
		`fw.chat(undefined, "p")`:                                   wsURL + "undefined",
		`fw.chat(null, "p")`:                                        wsURL + "null",
		`fw.chat(42, "p")`:                                          wsURL + "number",
		`fw.chat("http://127.0.0.1/x", "p")`:                        wsURL + `"http://127.0.0.1/x"`,
		`fw.chat("ws:///nohost", "p")`:                              wsURL + `"ws:///nohost"`,
		`fw.chatAsync("http://127.0.0.1/x", "p")`:                   wsURL + `"http://127.0.0.1/x"`,
		`fw.connect("ftp://127.0.0.1/x")`:                           wsURL + `"ftp://127.0.0.1/x"`,
		`fw.connect(undefined)`:                                     wsURL + "undefined",
		`fw.chat("https://fwuser:S3cret@127.0.0.1/x", "p")`:         wsURL + `"https://****:****@127.0.0.1/x"`,
		`fw.chat(URL + "/ok")`:                                      "prompt must be a string, got undefined",
		`fw.chat(URL + "/ok", null)`:                                "prompt must be a string, got null",
		`fw.chatAsync(URL + "/ok", {text: "hi"})`:                   "prompt must be a string, got object",
		`fw.connect(URL + "/ok").send()`:                            "prompt must be a string, got undefined",
		`fw.connect(URL + "/ok").sendAsync(7)`:                      "prompt must be a string, got number",
		`fw.chat(URL, "p", {timeouts: {total: 18446744073710}})`:    "timeouts.total is out of range",
		`fw.chat(URL, "p", {timeouts: {idle: 1e300}})`:              "timeouts.idle is out of range",
		`fw.connect(URL + "/ok").send("p", {slo: {ttft: 2 ** 62}})`: "slo.ttft is out of range",
	}
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL", ct.url))
	for code, want := range cases {
		_, err := ct.rt.RunOnEventLoop(code)
		require.ErrorContains(t, err, want, code)
		require.NotContains(t, err.Error(), "S3cret", code)
	}
	got := ct.drain()
	require.Empty(t, got[MetricChatTurns], "a script bug is never a counted turn")
	require.Empty(t, got[MetricChatErrors])
	require.Len(t, got[MetricChatConnecting], 3, "only the connect()s of the three send cases dialled")
}

func TestOptDurationRange(t *testing.T) {
	t.Parallel()
	rt := newModuleRuntime(t).VU.RuntimeField
	d, err := optDuration(rt.ToValue(maxDurationMillis), "x")
	require.NoError(t, err)
	require.Equal(t, time.Duration(maxDurationMillis)*time.Millisecond, d)
	for _, v := range []any{maxDurationMillis + 1, int64(18446744073710), float64(1e19), 1e300} {
		_, err := optDuration(rt.ToValue(v), "timeouts.total")
		require.ErrorContains(t, err, "timeouts.total is out of range", "%v", v)
	}
}

// Nullish nested options mean "default", in connect()/chat() and in send(), as for the Hz monitor.
func TestChatNullishOptionsMeanDefault(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `fw.chat(URL + "/ok", "hi", {timeouts: {total: undefined, firstToken: null, idle: undefined, connect: null},
		slo: {ttft: null, tpot: undefined}, protocol: {name: null}, headers: null, subprotocols: undefined,
		maxFrameBytes: null, keepText: undefined, tags: null})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	res = ct.run(t, `const s = fw.connect(URL + "/ok", {protocol: null, timeouts: null});
		const r = s.send("hi", {timeouts: {total: undefined}, slo: {tpot: null}, keepText: null, tags: undefined}); s.close(); r`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	// every chat option table takes nullish as "default", as the Hz table does
	require.True(t, connectParams().skipNullish && sendParams().skipNullish && timeoutOptions().skipNullish &&
		sloOptions().skipNullish && protocolOptions().skipNullish && hzOptionTable().skipNullish)
}

// authEcho answers every prompt with one token: the Authorization header of the upgrade.
func authEcho(t *testing.T) string {
	t.Helper()
	srv := wsTestServer(t, func(ws *websocket.Conn, r *http.Request) {
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"token","data":"`+r.Header.Get("Authorization")+`"}}`))
			_ = ws.WriteMessage(websocket.TextMessage, []byte(`{"type":"stream_event","event":{"type":"complete","data":""}}`))
		}
	})
	return srv.Listener.Addr().String()
}

// URL userinfo is sent as Basic auth and never shown: not in tags, errors or results (defect 3).
func TestChatUserinfoIsBasicAuthAndRedacted(t *testing.T) {
	t.Parallel()
	const secret = "S3cret-pw"
	addr := authEcho(t)
	l, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	require.NoError(t, err)
	closed := l.Addr().String()
	require.NoError(t, l.Close())
	ct := newChatTest(t)
	ct.url = "ws://fwuser:" + secret + "@" + addr
	res := ct.run(t, `fw.chat(URL + "/a", "hi", {keepText: true})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("fwuser:"+secret)), res["text"])
	res = ct.run(t, `fw.chat(URL + "/a", "hi", {keepText: true, headers: {Authorization: "Bearer tok"}})`)
	require.Equal(t, "Bearer tok", res["text"], "an explicit Authorization header wins")
	res = ct.run(t, `const s = fw.connect(URL + "/s", {keepText: true}); const r = s.send("hi"); s.close(); r`)
	require.Equal(t, "Basic "+base64.StdEncoding.EncodeToString([]byte("fwuser:"+secret)), res["text"])

	ct.url = "ws://fwuser:" + secret + "@" + closed
	res = ct.run(t, `fw.chat(URL + "/x", "hi", {headers: {Authorization: "Bearer tok-SECRET"}})`)
	require.Equal(t, "connect", res["error"].(map[string]any)["kind"])
	res2 := ct.run(t, `const f = fw.connect(URL + "/x"); ({connected: f.connected, error: f.error, send: f.send("hi")})`)
	require.Equal(t, false, res2["connected"])
	dump := fmt.Sprint(res, res2)
	got := ct.drain()
	require.Len(t, got[MetricChatTurns], 6, "3 served, a failed chat, a failed connect, a send on it")
	for name, ss := range got {
		for _, s := range ss {
			dump += fmt.Sprint(name, s.tags)
		}
	}
	require.NotContains(t, dump, secret)
	require.NotContains(t, dump, "tok-SECRET")
	require.Equal(t, "ws://****:****@"+addr+"/a", got[MetricChatTurns][0].tags["url"])
	require.Equal(t, "ws://****:****@"+addr+"/a", got[MetricChatTurns][0].tags["name"])
	require.Equal(t, "ws://****:****@"+closed+"/x", got[MetricChatErrors][0].tags["url"])
}

// A session's turn carries the tags current when send() is called (defect 7): the VU's tags and
// group then, the connect-level tags, the send-level tags, and the dial's system tags.
func TestSessionTagsAtSendTime(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	_, err := ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect("` + ct.url + `/ok", {tags: {lvl: "connect", over: "connect"}})`)
	require.NoError(t, err)
	ct.state.Tags.Modify(func(tm *metrics.TagsAndMeta) {
		tm.SetTag("group", "::later")
		tm.SetTag("phase", "two")
	})
	res := ct.run(t, `s.send("hi", {tags: {over: "send"}})`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	ct.state.Tags.Modify(func(tm *metrics.TagsAndMeta) { tm.DeleteTag("group") })
	res = ct.run(t, `const r = s.send("hi"); s.close(); r`)
	require.Equal(t, true, res["ok"], "%v", res["error"])
	got := ct.drain()
	require.Len(t, got[MetricChatConnecting], 1)
	require.NotContains(t, got[MetricChatConnecting][0].tags, "group", "connect() ran outside the group")
	require.NotContains(t, got[MetricChatConnecting][0].tags, "phase")
	for _, name := range []string{MetricChatTurns, MetricChatTokens, MetricChatTTFT, MetricChatDuration} {
		require.Len(t, got[name], 2, name)
		first, second := got[name][0].tags, got[name][1].tags
		require.Equal(t, "::later", first["group"], name)
		require.Equal(t, "two", first["phase"], name)
		require.Equal(t, "connect", first["lvl"], name)
		require.Equal(t, "send", first["over"], name, "send-level tags override connect-level ones")
		require.Equal(t, "101", first["status"], name)
		require.Equal(t, ct.url+"/ok", first["url"], name)
		require.Equal(t, "chat", first["scenario"], name)
		require.NotContains(t, second, "group", name)
		require.Equal(t, "two", second["phase"], name)
		require.Equal(t, "connect", second["over"], name)
	}
}

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
// counted like any failure, never a crash (defect 6). Not parallel: it sets the package's hook.
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

// Canceled turns emit nothing: no turn, failure, error or timing sample (defect 6).
func TestChatCanceledEmitsNothing(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL_SILENT", ct.url+"/silent"))
	_, err := ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect(URL_SILENT)`)
	require.NoError(t, err)
	require.Len(t, ct.drain()[MetricChatConnecting], 1)
	time.AfterFunc(150*time.Millisecond, ct.rt.CancelContext)
	start := time.Now()
	_, err = ct.rt.RunOnEventLoop(`
		globalThis.out = {};
		s.sendAsync("a").then((r) => { out.async = r.error.kind; });
		fw.chatAsync(URL_SILENT, "b").then((r) => { out.chatAsync = r.error.kind; });
	`)
	require.NoError(t, err)
	require.Less(t, time.Since(start), 2*time.Second)
	out := ct.rt.VU.RuntimeField.Get("out").Export().(map[string]any)
	require.Equal(t, "canceled", out["async"])
	require.Equal(t, "canceled", out["chatAsync"])
	got := ct.drain()
	delete(got, MetricChatConnecting) // chatAsync dialled before the cancel
	require.Empty(t, got, "a canceled turn emits no sample")
}

// sendAsync frees the session before its promise resolves: a send() right after an awaited
// sendAsync() never finds it busy.
func TestSendAfterAwaitedSendAsync(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	ct.run(t, `
		globalThis.out = {ok: 0, errors: []};
		const loop = async () => {
			const s = fw.connect(URL + "/one");
			for (let i = 0; i < 100; i++) { // 4 x 200 turns: the samples channel holds 1000
				const a = await s.sendAsync("a");
				try {
					if (a.ok && s.send("b").ok) out.ok++;
				} catch (e) {
					out.errors.push(String(e));
					break;
				}
			}
			s.close();
		};
		for (let k = 0; k < 4; k++) loop();
	`)
	out := ct.rt.VU.RuntimeField.Get("out").Export().(map[string]any)
	require.Empty(t, out["errors"])
	require.EqualValues(t, 400, out["ok"])
}

func newTestMetrics(t *testing.T) *fwMetrics {
	t.Helper()
	m, err := registerMetrics(metrics.NewRegistry())
	require.NoError(t, err)
	return m
}
