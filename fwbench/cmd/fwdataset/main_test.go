package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func generate(t *testing.T, opts Options) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, Generate(&b, opts))
	return b.Bytes()
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a := generate(t, Options{Conversations: 50, Seed: 3})
	require.Equal(t, a, generate(t, Options{Conversations: 50, Seed: 3}))
	require.NotEqual(t, a, generate(t, Options{Conversations: 50, Seed: 4}))
}

func TestGenerateWritesOneConversationPerLine(t *testing.T) {
	t.Parallel()
	for _, f := range []Format{ShareGPT, Turns} {
		sc := bufio.NewScanner(bytes.NewReader(generate(t, Options{Conversations: 300, Seed: 1, Format: f})))
		sc.Buffer(nil, 1<<20)
		lines, humans, others := 0, 0, 0
		for sc.Scan() {
			lines++
			var l struct {
				Conversations []message `json:"conversations"`
				Turns         []string  `json:"turns"`
			}
			require.NoError(t, json.Unmarshal(sc.Bytes(), &l))
			for _, m := range l.Conversations {
				if m.From == "human" {
					humans++
				} else {
					others++
				}
				require.NotEmpty(t, m.Value)
			}
			for _, s := range l.Turns {
				require.NotEmpty(t, s)
				humans++
			}
			if f == Turns {
				require.NotEmpty(t, l.Turns)
				require.Nil(t, l.Conversations)
			} else {
				require.NotEmpty(t, l.Conversations)
				require.Nil(t, l.Turns)
			}
		}
		require.NoError(t, sc.Err())
		require.Equal(t, 300, lines)
		require.Greater(t, humans, 300, "some conversations have several human turns")
		if f == ShareGPT {
			require.Greater(t, others, humans, "a gpt turn follows every human turn, some start with a system turn")
		}
	}
}

// The shipped datasets are exactly what the documented commands write (examples/data/README.md).
func TestShippedDatasetsMatchTheGenerator(t *testing.T) {
	t.Parallel()
	for file, opts := range map[string]Options{
		"chat-sharegpt.jsonl": {Conversations: 100, Seed: 1, Format: ShareGPT},
		"chat-turns.jsonl":    {Conversations: 30, Seed: 2, Format: Turns},
	} {
		shipped, err := os.ReadFile(filepath.Join("..", "..", "..", "examples", "data", file))
		require.NoError(t, err)
		require.Equal(t, string(generate(t, opts)), string(shipped), "%s is stale: regenerate it (examples/data/README.md)", file)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{{"-n", "0"}, {"-format", "csv"}, {"extra"}, {"-bogus"}} {
		var stdout, stderr bytes.Buffer
		require.Equal(t, 2, run(args, &stdout, &stderr), "%v", args)
		require.Empty(t, stdout.String())
		require.NotEmpty(t, stderr.String())
	}
	out := filepath.Join(t.TempDir(), "d.jsonl")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"-n", "5", "-o", out}, &stdout, &stderr), stderr.String())
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, generate(t, Options{Conversations: 5, Seed: 1}), b)
}
