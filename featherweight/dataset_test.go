package featherweight

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
	"go.k6.io/k6/js/modulestest"
	"go.k6.io/k6/lib"
)

// writeDataset writes lines to a JSONL file in a temporary directory and returns its path.
func writeDataset(t *testing.T, lines string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "convs.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(lines), 0o600))
	return path
}

// vuOf is a modulestest runtime (init context) with `fw` bound to an instance of root.
func vuOf(t *testing.T, root *RootModule) *modulestest.Runtime {
	t.Helper()
	rt := modulestest.NewRuntime(t)
	require.NoError(t, rt.VU.RuntimeField.Set("fw", root.NewModuleInstance(rt.VU).Exports().Default))
	return rt
}

func run(t *testing.T, rt *modulestest.Runtime, code string) any {
	t.Helper()
	v, err := rt.VU.Runtime().RunString(code)
	require.NoError(t, err)
	return v.Export()
}

const threeConversations = `{"conversations":[{"from":"human","value":"a1"},{"from":"gpt","value":"r"},{"from":"human","value":"a2"}]}
{"turns":["b1"]}
{"turns":["c1","c2","c3"]}
`

func TestDatasetIsLoadedOncePerProcessAndSharedByVUs(t *testing.T) {
	t.Parallel()
	path := writeDataset(t, threeConversations)
	root := new(RootModule)
	vu1, vu2 := vuOf(t, root), vuOf(t, root)
	code := `const ds = fw.dataset(` + strconv.Quote(path) + `, {seed: 7});
		[ds.name, ds.size, ds.prompts, ds.skipped, ds.seed, [0,1,2].map((k) => ds.conversation(k).join('|'))]`
	a, b := run(t, vu1, code), run(t, vu2, code)
	require.Equal(t, a, b, "one seed, one order in every VU")
	got, ok := a.([]any)
	require.True(t, ok)
	require.Equal(t, "convs.jsonl", got[0])
	require.EqualValues(t, 3, got[1])
	require.EqualValues(t, 6, got[2])
	require.EqualValues(t, 0, got[3])
	require.EqualValues(t, 7, got[4])
	require.ElementsMatch(t, []any{"a1|a2", "b1", "c1|c2|c3"}, got[5], "three sessions take the three conversations")
	require.Len(t, root.datasets.byPath, 1)

	// Removing the file does not matter: the process already holds it.
	require.NoError(t, os.Remove(path))
	require.EqualValues(t, 3, run(t, vuOf(t, root), `fw.dataset(`+strconv.Quote(path)+`).size`))
	require.EqualValues(t, 3, run(t, vu1, `ds.used`))
}

func TestDatasetConversationIsACopy(t *testing.T) {
	t.Parallel()
	rt := newModuleRuntime(t)
	path := strconv.Quote(writeDataset(t, `{"turns":["x","y"]}`))
	require.Equal(t, "x,y", run(t, rt, `const ds = fw.dataset(`+path+`);
		const c = ds.conversation(0); c[0] = 'changed'; c.push('more'); ds.conversation(5).join(',')`))
}

func TestDatasetWithoutSeedUsesOneChosenSeedPerProcess(t *testing.T) {
	t.Parallel()
	path := strconv.Quote(writeDataset(t, threeConversations))
	root := new(RootModule)
	a := run(t, vuOf(t, root), `fw.dataset(`+path+`).seed`)
	b := run(t, vuOf(t, root), `fw.dataset(`+path+`, {seed: null}).seed`)
	require.Equal(t, a, b)
}

func TestDatasetErrorsThrowInTheInitContext(t *testing.T) {
	t.Parallel()
	bad := writeDataset(t, `{"turns":["ok"]}`+"\n"+`{"turns": "not an array"}`+"\n")
	empty := writeDataset(t, "\n")
	noHuman := writeDataset(t, `{"conversations":[{"from":"gpt","value":"only replies"}]}`)
	good := writeDataset(t, `{"turns":["ok"]}`)
	cases := []struct{ name, code, want string }{
		{"1 malformed line", `fw.dataset(` + strconv.Quote(bad) + `)`, bad + `:2: turns: expected an array, got string`},
		{"2 empty", `fw.dataset(` + strconv.Quote(empty) + `)`, "no conversations in the dataset"},
		{"3 no human turns", `fw.dataset(` + strconv.Quote(noHuman) + `)`, "no human turns in the dataset"},
		{"4 missing file", `fw.dataset('/nonexistent/x.jsonl')`, "/nonexistent/x.jsonl: no such file"},
		{"5 no path", `fw.dataset()`, "path must be a non-empty string, got undefined"},
		{"6 unknown option", `fw.dataset(` + strconv.Quote(good) + `, {sed: 1})`, "unknown option sed (known: seed)"},
		{"7 bad seed", `fw.dataset(` + strconv.Quote(good) + `, {seed: -1})`, "seed must not be negative"},
		{"8 bad session", `fw.dataset(` + strconv.Quote(good) + `).conversation('x')`, "conversation(session) must be"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := newModuleRuntime(t).VU.Runtime().RunString(c.code)
			require.ErrorContains(t, err, c.want)
		})
	}
}

func TestDatasetCannotBeLoadedFromVUCode(t *testing.T) {
	t.Parallel()
	env := newVUEnv(t, "default", lib.Options{})
	env.rt.MoveToVUContext(env.state)
	_, err := env.rt.VU.Runtime().RunString(`fw.dataset(` + strconv.Quote(writeDataset(t, `{"turns":["ok"]}`)) + `)`)
	require.ErrorContains(t, err, "fw.dataset() can only be called in the init context")
}
