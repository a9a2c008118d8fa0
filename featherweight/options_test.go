package featherweight

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/hz"
)

// The "unknown option" errors list the keys from the tables, in the tables' order.
func TestUnknownOptionListsTableKeys(t *testing.T) {
	t.Parallel()
	ct := newChatTest(t)
	require.NoError(t, ct.rt.VU.RuntimeField.Set("URL", ct.url))
	for code, want := range map[string]string{
		`fw.chat(URL, "x", {nope: 1})`: "unknown option nope (known: headers, subprotocols, protocol, " +
			"timeouts, maxFrameBytes, tags, slo, keepText, itl, trends)",
		`fw.connect(URL + "/ok").send("x", {nope: 1})`: "unknown option nope (known: timeouts, tags, slo, keepText)",
		`fw.chat(URL, "x", {timeouts: {forever: 1}})`:  "unknown option timeouts.forever (known: connect, firstToken, idle, total)",
		`fw.chat(URL, "x", {slo: {itl: 1}})`:           "unknown option slo.itl (known: ttft, tpot)",
		`fw.chat(URL, "x", {protocol: {colour: "red"}})`: "unknown option protocol.colour (known: name, request, model, doneOn, " +
			"endSentinel, errorPrefix, promptField, typeField, tokenTypes, doneTypes, errorTypes, textField, errorField, usageField)",
		`new fw.HzMonitor({url: "http://x/m", every: 1})`: "HzMonitor: unknown option every (known: url, prometheus, query, " +
			"metric, labels, mode, healthz, min, timeout, maxBodyBytes, aggregate, headers, tags, redirects, userAgent)",
	} {
		_, err := ct.rt.RunOnEventLoop(code)
		require.ErrorContains(t, err, want, code)
	}
}

func TestOptionTablesHaveUniqueKeys(t *testing.T) {
	t.Parallel()
	for name, keys := range map[string][]string{
		"connect": connectParams().keys(), "send": sendParams().keys(), "timeouts": timeoutOptions().keys(),
		"slo": sloOptions().keys(), "protocol": protocolOptions().keys(), "hz": hzOptionTable().keys(),
	} {
		seen := map[string]bool{}
		for _, k := range keys {
			require.False(t, seen[k], "%s: duplicate key %s", name, k)
			seen[k] = true
		}
	}
	for _, k := range sendParams().keys() {
		require.NotNil(t, connectParams().lookup(k), "send key %s is a connect key", k)
	}
}

// Every hz.Config field that hz.ConfigError can name maps to a JS option of the Hz table.
func TestHzOptionNamesMatchConfigFields(t *testing.T) {
	t.Parallel()
	typ := reflect.TypeFor[hz.Config]()
	require.Equal(t, typ.NumField(), len(hzOptionNames()), "every hz.Config field has a JS name")
	for field, js := range hzOptionNames() {
		_, ok := typ.FieldByName(field)
		require.True(t, ok, "hz.Config has no field %s", field)
		require.NotNil(t, hzOptionTable().lookup(js), "the Hz table has no option %s", js)
	}
	require.EqualError(t, hzOptionError(&hz.ConfigError{Field: "HealthzURL", Msg: "is bad"}), "healthz is bad")
}
