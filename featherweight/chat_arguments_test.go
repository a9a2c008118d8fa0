package featherweight

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Script bugs throw a JS exception naming the argument; they are never counted.
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
