package featherweight

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.k6.io/k6/lib"

	"github.com/featherweight/xk6-featherweight/executor"
)

// traceVU is a VU in iteration iter of scenario name, whose options hold the scenario config c.
func traceVU(t *testing.T, name string, c lib.ExecutorConfig, iter uint64) vuEnv {
	t.Helper()
	env := newVUEnv(t, name, lib.Options{Scenarios: lib.ScenarioConfigs{name: c}})
	env.state.GetScenarioGlobalVUIter = func() uint64 { return iter }
	env.rt.VU.CtxField = lib.WithScenarioState(context.Background(), &lib.ScenarioState{Name: name, Executor: c.GetType()})
	env.rt.MoveToVUContext(env.state)
	return env
}

func traceScenario(t *testing.T, content, file string) lib.ExecutorConfig {
	t.Helper()
	path := filepath.Join(t.TempDir(), file)
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	c, err := lib.GetParsedExecutorConfig("replay", executor.TraceType, []byte(`{"trace":"`+path+`","preAllocatedVUs":1}`))
	require.NoError(t, err)
	require.Empty(t, c.Validate())
	return c
}

func TestTraceRowGivesTheIterationsRow(t *testing.T) {
	t.Parallel()
	c := traceScenario(t, "TIMESTAMP,ContextTokens,GeneratedTokens\n"+
		"2023-11-16 18:15:46.5,374,44\n2023-11-16 18:15:48,396,109\n", "azure.csv")
	env := traceVU(t, "replay", c, 1)
	v, err := env.rt.VU.Runtime().RunString(`JSON.stringify(fw.traceRow())`)
	require.NoError(t, err)
	require.JSONEq(t, `{"index":1,"line":3,"offset":1.5,"file":"`+c.(*executor.TraceConfig).Trace.String+`",
		"format":"azure","inputTokens":396,"outputTokens":109,"model":null,"hashIds":null}`, v.String())
}

func TestTraceRowCarriesEachFormatsOwnFields(t *testing.T) {
	t.Parallel()
	m := traceScenario(t, `{"timestamp":10,"input_length":7,"output_length":3,"hash_ids":[4,5]}`+"\n", "m.jsonl")
	v, err := traceVU(t, "replay", m, 0).rt.VU.Runtime().RunString(`const r = fw.traceRow(); [r.format, r.hashIds.join('+'), r.inputTokens].join(' ')`)
	require.NoError(t, err)
	require.Equal(t, "mooncake 4+5 7", v.String())

	ts := traceScenario(t, "0\n0.25\n", "t.txt")
	v, err = traceVU(t, "replay", ts, 1).rt.VU.Runtime().RunString(`const r = fw.traceRow(); [r.offset, r.inputTokens, r.outputTokens].join(' ')`)
	require.NoError(t, err)
	require.Equal(t, "0.25  ", v.String(), "a timestamps trace has no token counts (null)")
}

func TestTraceRowThrowsOutsideATraceIteration(t *testing.T) {
	t.Parallel()
	_, err := newModuleRuntime(t).VU.Runtime().RunString(`fw.traceRow()`)
	require.ErrorContains(t, err, "fw.traceRow() can only be called in VU code")

	poisson, err := lib.GetParsedExecutorConfig("open", executor.PoissonType, []byte(`{"rate":1,"duration":"1s","preAllocatedVUs":1}`))
	require.NoError(t, err)
	_, err = traceVU(t, "open", poisson, 0).rt.VU.Runtime().RunString(`fw.traceRow()`)
	require.ErrorContains(t, err, `scenario "open" runs the poisson-arrival-rate executor, not trace-arrival`)

	c := traceScenario(t, "0\n1\n", "t.txt")
	_, err = traceVU(t, "replay", c, 2).rt.VU.Runtime().RunString(`fw.traceRow()`)
	require.ErrorContains(t, err, "iteration 2 is past the 2 rows")
}

func TestTraceDescribesAFileAndThrowsNamingItsErrors(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	good := filepath.Join(dir, "a.csv")
	require.NoError(t, os.WriteFile(good, []byte("TIMESTAMP,ContextTokens,GeneratedTokens\n"+
		"2023-11-16 18:15:46,10,1\n2023-11-16 18:15:50.25,20,2\n"), 0o600))
	bad := filepath.Join(dir, "b.txt")
	require.NoError(t, os.WriteFile(bad, []byte("1\n2\n0.5\n"), 0o600))
	rt := newModuleRuntime(t).VU.Runtime()
	v, err := rt.RunString(`JSON.stringify(fw.trace(` + strconv.Quote(good) + `))`)
	require.NoError(t, err)
	require.JSONEq(t, `{"file":`+strconv.Quote(good)+`,"format":"azure","rows":2,"duration":4.25,"inputTokens":30,"outputTokens":3}`, v.String())

	for code, want := range map[string]string{
		`fw.trace(` + strconv.Quote(bad) + `)`:                          bad + ":3: timestamp goes back in time",
		`fw.trace(` + strconv.Quote(good) + `, { format: 'mooncake' })`: good + ":1: not a Mooncake row",
		`fw.trace(` + strconv.Quote(good) + `, { format: 'parquet' })`:  `unknown trace format "parquet"`,
		`fw.trace(` + strconv.Quote(good) + `, { fromat: 'azure' })`:    `unknown option "fromat"`,
		`fw.trace('')`: "path must be a non-empty string",
		`fw.trace(` + strconv.Quote(filepath.Join(dir, "none.csv")) + `)`: "none.csv: no such file",
	} {
		_, err := rt.RunString(code)
		require.ErrorContains(t, err, want, code)
	}
}
