package featherweight

import (
	"context"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"
	"go.k6.io/k6/metrics"
)

// heapAlloc is the live heap after a full collection.
func heapAlloc() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkSessionHeap reports the heap one session holds between turns (heap-B/session), for
// sessions kept open after one 3-token turn ("connected": the loopback server's side of each
// socket lives in the same process and is counted too) and for sessions whose connect failed
// ("unconnected": the session object, its state and its error, no socket).
func BenchmarkSessionHeap(b *testing.B) {
	const n = 500
	var open atomic.Int64 // server handlers running
	srv := wsTestServer(b, func(ws *websocket.Conn, _ *http.Request) {
		open.Add(1)
		defer open.Add(-1)
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
			for _, f := range []string{
				`{"type":"stream_event","event":{"type":"token","data":"a"}}`,
				`{"type":"stream_event","event":{"type":"token","data":"b"}}`,
				`{"type":"stream_event","event":{"type":"token","data":"c"}}`,
				`{"type":"stream_event","event":{"type":"complete","data":""}}`,
			} {
				if ws.WriteMessage(websocket.TextMessage, []byte(f)) != nil {
					return
				}
			}
		}
	})
	for _, bc := range []struct{ name, url string }{
		{"connected", "ws" + strings.TrimPrefix(srv.URL, "http")},
		{"unconnected", "ws://blocked.test"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			env := newVUEnv(b, "chat", lib.Options{})
			env.rt.MoveToVUContext(env.state)
			done := make(chan struct{})
			b.Cleanup(func() { close(done) })
			go func() { // the samples are not what this measures
				for {
					select {
					case <-env.samples:
					case <-done:
						return
					}
				}
			}()
			rt := env.rt.VU.RuntimeField
			if err := rt.Set("URL", bc.url); err != nil {
				b.Fatal(err)
			}
			run := func(code string) {
				if _, err := rt.RunString(code); err != nil {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				run(`globalThis.sessions = []; globalThis.turns = 0`)
				before := heapAlloc()
				run(`for (let i = 0; i < ` + strconv.Itoa(n) + `; i++) {
					const s = fw.connect(URL);
					if (s.connected && s.send("hi").ok) turns++;
					sessions.push(s);
				}`)
				after := heapAlloc()
				if want := map[string]int64{"connected": n, "unconnected": 0}[bc.name]; rt.Get("turns").ToInteger() != want {
					b.Fatalf("%d turns succeeded, want %d", rt.Get("turns").ToInteger(), want)
				}
				b.ReportMetric(float64(after-before)/n, "heap-B/session")
				run(`sessions.forEach((s) => s.close()); sessions = []`)
				for i := 0; open.Load() > 0; i++ { // the next round starts without this one's server side
					if i == 1000 {
						b.Fatalf("%d server handlers still running", open.Load())
					}
					time.Sleep(10 * time.Millisecond)
				}
			}
		})
	}
}

// Every session of a VU gets its methods from one prototype, made once: two sessions (connected
// or not) share the same send, sendAsync and close function objects, and carry only their own
// properties. The methods keep their names and arities, and run on the session they are called on.
func TestSessionsShareOneMethodPrototype(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `
		const a = fw.connect(URL + "/ok"), b = fw.connect(URL + "/one"), bad = fw.connect("ws://blocked.test/x");
		const same = (m) => a[m] === b[m] && b[m] === bad[m] && typeof a[m] === "function";
		const inherited = [];
		for (const k in a) inherited.push(k);
		const out = {
			shared: same("send") && same("sendAsync") && same("close"),
			proto: Object.getPrototypeOf(a) === Object.getPrototypeOf(bad),
			own: Object.keys(a).join(","),
			ownMethod: Object.prototype.hasOwnProperty.call(a, "send"),
			forIn: inherited.join(","),
			json: JSON.stringify(bad.connected ? null : a),
			names: [a.send.name, a.send.length, a.sendAsync.name, a.sendAsync.length, a.close.name, a.close.length].join(","),
			texts: [a.send("hi").ok, b.send("hi").tokens, bad.send("hi").error.kind].join(","),
			badError: bad.error.kind, protocol: b.protocol,
		};
		a.close(); b.close(); bad.close();
		out.afterClose = a.send("hi").error.kind + "," + b.send("hi").error.kind;
		out
	`)
	require.Equal(t, map[string]any{
		"shared": true, "proto": true, "own": "connected,error,protocol", "ownMethod": false,
		"forIn": "connected,error,protocol,send,sendAsync,close",
		"json":  `{"connected":true,"error":null,"protocol":"featherweight"}`,
		"names": "send,2,sendAsync,2,close,0", "texts": "true,1,closed",
		"badError": "connect", "protocol": "featherweight", "afterClose": "closed,closed",
	}, res)
}

// A session object is an ordinary object to a script: it can add, change and delete properties
// (a property named like a method shadows it, as on any object), except connected, which always
// tells the truth (an assignment is ignored).
func TestSessionObjectTakesScriptProperties(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	res := ct.run(t, `
		const s = fw.connect(URL + "/one");
		s.label = "first"; s.label += "!"; s.connected = "yes";
		const before = Object.keys(s).join(",");
		delete s.label;
		const other = fw.connect(URL + "/one");
		other.send = () => "shadowed";
		const out = {before, after: Object.keys(s).join(","), label: String(s.label), connected: s.connected,
			hasSend: "send" in s, shadowed: other.send(), real: s.send("hi").ok};
		s.close(); other.close();
		out
	`)
	require.Equal(t, map[string]any{
		"before": "connected,error,protocol,label", "after": "connected,error,protocol", "label": "undefined",
		"connected": true, "hasSend": true, "shadowed": "shadowed", "real": true,
	}, res)
}

// A method called without its session (taken off it, or applied to another object) throws a
// TypeError that says how to call it, and counts nothing.
func TestSessionMethodWithoutSessionThrows(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL", ct.url))
	_, err := ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect(URL + "/one")`)
	require.NoError(t, err)
	for code, method := range map[string]string{
		`const send = s.send; send("hi")`:   "send",
		`s.sendAsync.call({}, "hi")`:        "sendAsync",
		`Object.getPrototypeOf(s).close()`:  "close",
		`s.send.apply(fw, ["hi"])`:          "send",
		`s.sendAsync.call(undefined, "hi")`: "sendAsync",
	} {
		_, err := ct.rt.RunOnEventLoop(code)
		require.ErrorContains(t, err, "TypeError: session."+method+"() must be called on a session from fw.connect()", code)
	}
	res := ct.run(t, `const r = s.send("hi"); s.close(); r`)
	require.Equal(t, true, res["ok"], "the session still works")
	got := ct.drain()
	require.Len(t, got[MetricChatTurns], 1, "only the real send is a turn")
}

// A session's turn carries the tags current when send() is called: the VU's tags and
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

// nextIteration ends the VU's current iteration (its context is cancelled, as k6 does when an
// iteration returns) and starts another one with a fresh context.
func (ct *chatTest) nextIteration(t *testing.T) {
	t.Helper()
	ct.rt.CancelContext()
	ctx, cancel := context.WithCancel(t.Context())
	t.Cleanup(cancel)
	ct.rt.VU.CtxField = ctx
	ct.rt.CancelContext = cancel
}

// A session kept in a VU-level variable outlives the iteration that opened it, as k6's gRPC
// client keeps its connection: over many iterations every turn succeeds on the one socket.
func TestSessionOutlivesItsIteration(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	_, err := ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect("` + ct.url + `/ok")`)
	require.NoError(t, err)
	for i := range 20 {
		ct.nextIteration(t)
		res := ct.run(t, `({connected: s.connected, ok: s.send("turn").ok})`)
		require.Equal(t, map[string]any{"connected": true, "ok": true}, res, "iteration %d", i)
	}
	got := ct.drain()
	require.Len(t, got[MetricChatConnecting], 1, "one connect for every iteration")
	require.Len(t, got[MetricChatTurns], 20)
	for _, f := range got[MetricChatFailed] {
		require.Zero(t, f.value, "no failed turn")
	}
	require.Empty(t, got[MetricChatErrors])
	ct.run(t, `s.close()`)
	require.Equal(t, false, ct.run(t, `({c: s.connected})`)["c"], "close() ends it")
}

// A turn in flight still ends with its iteration (an interrupt, gracefulStop): the turn is
// canceled and counts nothing, the session then says connected false, a send on it counts
// nothing, and a new session carries on with no failed turn.
func TestSessionAfterAnInterruptedTurn(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	_, err := ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect("` + ct.url + `/silent")`)
	require.NoError(t, err)
	ct.nextIteration(t)
	cancel := ct.rt.CancelContext
	time.AfterFunc(100*time.Millisecond, cancel)
	res := ct.run(t, `s.send("never answered")`)
	require.Equal(t, "canceled", res["error"].(map[string]any)["kind"])

	ct.nextIteration(t)
	res = ct.run(t, `({connected: s.connected, again: s.send("x").error.kind})`)
	require.Equal(t, map[string]any{"connected": false, "again": "closed"}, res)
	ct.drain() // the connect

	_, err = ct.rt.VU.RuntimeField.RunString(`globalThis.s = fw.connect("` + ct.url + `/ok")`)
	require.NoError(t, err)
	for range 5 {
		ct.nextIteration(t)
		require.Equal(t, true, ct.run(t, `s.send("turn")`)["ok"])
	}
	got := ct.drain()
	require.Len(t, got[MetricChatTurns], 5, "only the new session's turns: the canceled one and the send on the dead session count nothing")
	for _, f := range got[MetricChatFailed] {
		require.Zero(t, f.value)
	}
	require.Empty(t, got[MetricChatErrors])
}
