package dataset

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func parseText(t *testing.T, text string) (*Dataset, error) {
	t.Helper()
	return Parse(strings.NewReader(text), "chat.jsonl")
}

func conversations(d *Dataset) [][]string {
	out := make([][]string, d.Len())
	for i := range out {
		out[i] = d.Conversation(i)
	}
	return out
}

func TestParseKeepsHumanTurnsInOrderUnchanged(t *testing.T) {
	t.Parallel()
	text := `{"id":"a","conversations":[{"from":"system","value":"be brief"},{"from":"human","value":"Hi  there\n"},` +
		`{"from":"gpt","value":"Hello"},{"from":"human","value":"Tell me about \"quotes\" and é ✓ 🙂"}]}
{"turns":["one","two","three"]}

{"conversations":[{"from":"user","value":"user counts as human"},{"from":"assistant","value":"ok"}]}
`
	d, err := parseText(t, text)
	require.NoError(t, err)
	require.Equal(t, [][]string{
		{"Hi  there\n", `Tell me about "quotes" and é ✓ 🙂`},
		{"one", "two", "three"},
		{"user counts as human"},
	}, conversations(d))
	require.Equal(t, 3, d.Len())
	require.Equal(t, 6, d.Prompts())
	require.Equal(t, 0, d.Skipped())
	require.Equal(t, "chat.jsonl", d.Name())
}

func TestParseSkipsConversationsWithoutHumanTurns(t *testing.T) {
	t.Parallel()
	d, err := parseText(t, `{"conversations":[{"from":"gpt","value":"only a reply"}]}
{"turns":[]}
{"turns":["", "kept"]}
{"conversations":[{"from":"human","value":""},{"from":"human","value":"also kept"}]}
`)
	require.NoError(t, err)
	require.Equal(t, [][]string{{"kept"}, {"also kept"}}, conversations(d))
	require.Equal(t, 2, d.Skipped())
}

func TestParseRejectsMalformedLinesWithFileAndLine(t *testing.T) {
	t.Parallel()
	good := `{"turns":["fine"]}` + "\n"
	cases := []struct {
		name, line, want string
	}{
		{"1 not JSON", `{"turns":["unterminated]}`, "invalid JSON"},
		{"2 not an object", `["a","b"]`, `expected a JSON object with "conversations" or "turns"`},
		{"3 neither key", `{"messages":[{"role":"user","content":"x"}]}`, `expected a "conversations" array (ShareGPT) or a "turns" array`},
		{"4 both keys", `{"turns":["a"],"conversations":[]}`, `both "conversations" and "turns"`},
		{"5 turns not strings", `{"turns":[1,2]}`, "turns: expected a string, got number"},
		{"6 null turn", `{"turns":["a",null]}`, "turns[1]: expected a string, got null"},
		{"7 message without value", `{"conversations":[{"from":"human"}]}`, `conversations[0]: expected {"from": string, "value": string}`},
		{"8 conversations not an array", `{"conversations":"hi"}`, "conversations: expected an array, got string"},
		{"9 trailing garbage", `{"turns":["a"]} x`, "invalid JSON"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseText(t, good+"\n"+c.line+"\n"+good)
			var le *LineError
			require.ErrorAs(t, err, &le)
			require.Equal(t, 3, le.Line, "blank lines count")
			require.Equal(t, "chat.jsonl", le.File)
			require.Contains(t, err.Error(), "chat.jsonl:3: ")
			require.Contains(t, err.Error(), c.want)
		})
	}
}

func TestParseRejectsEmptyDatasets(t *testing.T) {
	t.Parallel()
	for _, text := range []string{"", "\n\n  \n"} {
		_, err := parseText(t, text)
		require.ErrorIs(t, err, ErrEmpty)
		require.Contains(t, err.Error(), "chat.jsonl: ")
	}
	_, err := parseText(t, `{"conversations":[{"from":"gpt","value":"x"}]}`+"\n"+`{"turns":[]}`)
	require.ErrorIs(t, err, ErrNoHumanTurns)
	require.False(t, errors.Is(err, ErrEmpty))
	require.Contains(t, err.Error(), "2 lines")
}

func TestParseRejectsOverlongLines(t *testing.T) {
	t.Parallel()
	long := `{"turns":["` + strings.Repeat("x", 100) + `"]}`
	_, err := parse(strings.NewReader(`{"turns":["a"]}`+"\n"+long), "chat.jsonl", 64)
	var le *LineError
	require.ErrorAs(t, err, &le)
	require.Equal(t, 2, le.Line)
	require.ErrorContains(t, err, "chat.jsonl:2: line longer than 64 bytes")
}

func TestLoadNamesTheFileByItsBaseName(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "prod-sample.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"turns":["a"]}`+"\n"+`{"turns":`+"\n"), 0o600))
	_, err := Load(path)
	require.ErrorContains(t, err, path+":2: ")

	require.NoError(t, os.WriteFile(path, []byte(`{"turns":["a","b"]}`), 0o600))
	d, err := Load(path)
	require.NoError(t, err)
	require.Equal(t, "prod-sample.jsonl", d.Name())
	require.Equal(t, []string{"a", "b"}, d.Conversation(0))

	_, err = Load(filepath.Join(dir, "missing.jsonl"))
	require.ErrorIs(t, err, os.ErrNotExist)
}

func TestOrderIsASeededPermutation(t *testing.T) {
	t.Parallel()
	const n = 1000
	a, b, other := NewOrder(n, 42), NewOrder(n, 42), NewOrder(n, 43)
	seen := map[int]bool{}
	same, differs := true, false
	for k := range uint64(n) {
		seen[a.Index(k)] = true
		same = same && a.Index(k) == b.Index(k)
		differs = differs || a.Index(k) != other.Index(k)
	}
	require.Len(t, seen, n, "every conversation once in the first n sessions")
	require.True(t, same, "one seed, one order")
	require.True(t, differs, "another seed, another order")
	require.Equal(t, a.Index(7), a.Index(7+n), "the order repeats after n sessions")
	require.Equal(t, 0, NewOrder(1, 9).Index(123))
}

func TestUsageCountsDistinctConversations(t *testing.T) {
	t.Parallel()
	u := NewUsage(10)
	for _, i := range []int{3, 3, 0, 9, 3} {
		u.Mark(i)
	}
	require.Equal(t, 3, u.Count())
}
