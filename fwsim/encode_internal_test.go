package fwsim

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestAppendJSONString(t *testing.T) {
	t.Parallel()
	cases := []string{
		"", "plain", `quote " and \ backslash`, "ctl \x00\x01\x1f\t\n\r", "unicode é ✓ 😀",
		"bad utf8 \xff\xfe end", "line sep \u2028 \u2029", "</script>&",
	}
	for _, s := range cases {
		got := appendJSONString(nil, s)
		require.True(t, json.Valid(got), "%q -> %s", s, got)
		var back string
		require.NoError(t, json.Unmarshal(got, &back))
		want := string([]rune(s)) // invalid bytes become U+FFFD
		require.Equal(t, want, back)
		require.Equal(t, got, appendJSONString(nil, []byte(s)), "string and []byte agree")
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("hello \"world\"\n")
	f.Fuzz(func(t *testing.T, s string) {
		got := appendJSONString(nil, s)
		if !json.Valid(got) {
			t.Fatalf("%q -> invalid JSON %s", s, got)
		}
	})
}

func TestReplyDeterministic(t *testing.T) {
	t.Parallel()
	gen := func(seed int64, prompt string) string {
		g := newReplyGen(seed, prompt)
		var b []byte
		for range 10 {
			b = g.appendToken(b, 4)
		}
		return string(b)
	}
	require.Equal(t, gen(1, "a"), gen(1, "a"))
	require.NotEqual(t, gen(1, "a"), gen(1, "b"))
	require.NotEqual(t, gen(1, "a"), gen(2, "a"))
	require.Len(t, gen(1, "a"), 40)
}

func BenchmarkOrchestratorToken(b *testing.B) {
	t := &turn{req: request{id: "message-1234"}}
	var buf []byte
	tok := []byte(" the")
	b.ReportAllocs()
	for b.Loop() {
		buf = orchestrator{}.appendEvent(buf[:0], t, "token", tok)
	}
}
