//go:build e2e

package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// humanTurns reads a dataset file the way docs/workloads.md defines it, independently of the
// extension's loader: per conversation line, its non-empty human turns.
func humanTurns(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var out [][]string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	for sc.Scan() {
		var line struct {
			Conversations []struct{ From, Value string }
			Turns         []string
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		var turns []string
		for _, m := range line.Conversations {
			if (m.From == "human" || m.From == "user") && m.Value != "" {
				turns = append(turns, m.Value)
			}
		}
		for _, s := range line.Turns {
			if s != "" {
				turns = append(turns, s)
			}
		}
		if len(turns) > 0 {
			out = append(out, turns)
		}
	}
	require.NoError(t, sc.Err())
	return out
}

// workloadIdentity is the workload part of summary.json's "featherweight" identity.
type workloadIdentity struct {
	Arrival    string   `json:"arrival"`
	Rate       *float64 `json:"rate"`
	Burstiness *float64 `json:"burstiness"`
	ThinkDist  string   `json:"thinkDist"`
	Dataset    *string  `json:"dataset"`
}

func readIdentity(t *testing.T, dir string) workloadIdentity {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	require.NoError(t, err)
	var s struct {
		Featherweight workloadIdentity `json:"featherweight"`
	}
	require.NoError(t, json.Unmarshal(raw, &s))
	return s.Featherweight
}

// requireChatPassed asserts a run's chat thresholds passed. The Hz thresholds are not what these
// tests are about: on a loaded machine fwsim's loop may miss 95 Hz once in a few readings.
func requireChatPassed(t *testing.T, run K6Run) {
	t.Helper()
	require.Contains(t, []int{0, 99}, run.ExitCode)
	for _, m := range []string{"error_rate", "chat_turns_ok", "fw_chat_ttft"} {
		require.False(t, crossed(run, m), "%s failed", m)
	}
}

// datasetRun runs the bundled scenario's short smoke profile with its chat on a prompt recorder (the
// Hz on fwsim) and the given dataset, seed and turn cap.
func datasetRun(t *testing.T, f *Fwsim, dataset, turns string) (K6Run, *promptRecorder, string) {
	t.Helper()
	rec := newPromptRecorder(t)
	abs, err := filepath.Abs(dataset)
	require.NoError(t, err)
	out := t.TempDir()
	env := scenarioEnv(t, f)
	env["FW_HOLD"] = "3s"
	env["FW_CHAT_URL"] = rec.URL()
	env["FW_DATASET"] = abs
	env["FW_TURNS"] = turns
	env["FW_SEED"] = "5"
	env["FW_OUT_DIR"] = out
	return RunK6(t, bundledScenario, env), rec, out
}

// A dataset run sends, on each socket, the human turns of one conversation in order and unchanged
// (quotes, tabs, newlines, backslashes, non-ASCII text and all), never two conversations on one
// socket; the summary names the dataset and counts the conversations the server saw.
func TestScenarioDatasetSendsEachConversationUnchangedOnOneSocket(t *testing.T) {
	t.Parallel() // asserts counts, not timing: runs with the other parallel tests after the sequential ones
	const dataset = "../../examples/data/chat-sharegpt.jsonl"
	f := StartFwsim(t)
	run, rec, out := datasetRun(t, f, dataset, "10") // 10 > the longest conversation: whole conversations
	requireChatPassed(t, run)

	convs := humanTurns(t, dataset)
	known := map[string]bool{}
	for _, c := range convs {
		known[strings.Join(c, "\x00")] = true
	}
	conns := rec.Conns()
	require.NotEmpty(t, conns)
	seen, prompts := map[string]bool{}, 0
	for i, c := range conns {
		key := strings.Join(c, "\x00")
		require.True(t, known[key], "connection %d carried %q: not one conversation's human turns in order", i, c)
		seen[key] = true
		prompts += len(c)
	}
	require.EqualValues(t, len(conns), run.Sum("iterations", "scenario", "chat"), "one socket per session")
	require.Equal(t, prompts, run.Count("prompt_chars"), "one prompt length per prompt sent")
	require.EqualValues(t, prompts, run.Sum("fw_chat_turns"))

	m := regexp.MustCompile(`dataset +chat-sharegpt\.jsonl: (\d+) of (\d+) conversations used; prompts p50=\d+ p95=\d+ chars`).
		FindStringSubmatch(run.Stdout)
	require.NotNil(t, m, "the summary names the dataset:\n%s", run.Stdout)
	require.Equal(t, strconv.Itoa(len(seen)), m[1], "conversations used")
	require.Equal(t, strconv.Itoa(len(convs)), m[2])
	require.Contains(t, run.Stdout, "closed model, 10 VUs")

	id := readIdentity(t, out)
	require.Equal(t, "closed", id.Arrival)
	require.Nil(t, id.Rate)
	require.Nil(t, id.Burstiness)
	require.Equal(t, "uniform", id.ThinkDist)
	require.NotNil(t, id.Dataset)
	require.Equal(t, "chat-sharegpt.jsonl", *id.Dataset)
}

// FW_TURNS caps a conversation: each socket carries the first FW_TURNS human turns of one
// conversation of a plain {"turns": [...]} dataset.
func TestScenarioDatasetTurnsAreCappedByFWTurns(t *testing.T) {
	t.Parallel() // asserts counts, not timing: runs with the other parallel tests after the sequential ones
	const dataset = "../../examples/data/chat-turns.jsonl"
	f := StartFwsim(t)
	run, rec, _ := datasetRun(t, f, dataset, "2")
	requireChatPassed(t, run)
	prefixes := map[string]bool{}
	for _, c := range humanTurns(t, dataset) {
		prefixes[strings.Join(c[:min(2, len(c))], "\x00")] = true
	}
	conns := rec.Conns()
	require.NotEmpty(t, conns)
	for i, c := range conns {
		require.True(t, prefixes[strings.Join(c, "\x00")], "connection %d carried %q", i, c)
	}
}

// A dataset that cannot be used, and a workload knob out of place, fail k6 at init with a message
// naming the problem (a bad line by file and line number), and nothing is sent.
func TestScenarioBadWorkloadFailsAtInitAndSendsNothing(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
		return p
	}
	malformed := write("malformed.jsonl", `{"turns":["fine"]}`+"\n\n"+`{"conversations":[{"from":"human","value":"x"}`+"\n")
	empty := write("empty.jsonl", "\n")
	noHuman := write("replies.jsonl", `{"conversations":[{"from":"gpt","value":"only a reply"}]}`+"\n")
	cases := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"1 malformed line", map[string]string{"FW_DATASET": malformed}, malformed + ":3: invalid JSON"},
		{"2 empty dataset", map[string]string{"FW_DATASET": empty}, empty + ": no conversations in the dataset"},
		{"3 no human turns", map[string]string{"FW_DATASET": noHuman}, noHuman + ": no human turns in the dataset"},
		{"4 missing file", map[string]string{"FW_DATASET": filepath.Join(dir, "nope.jsonl")}, "no such file"},
		{"5 unknown arrival model", map[string]string{"FW_ARRIVAL": "uniform"}, "FW_ARRIVAL=uniform: expected one of closed, poisson"},
		{"6 rate without the open model", map[string]string{"FW_RATE": "5"}, "FW_RATE applies to FW_ARRIVAL=poisson"},
		{"7 non-positive rate", map[string]string{"FW_ARRIVAL": "poisson", "FW_RATE": "0"}, "FW_RATE=0: expected a number greater than 0"},
		{"8 unknown think distribution", map[string]string{"FW_THINK_DIST": "normal"}, "FW_THINK_DIST=normal: expected one of uniform, exponential"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := newPromptRecorder(t)
			env := map[string]string{
				"FW_PROFILE": "smoke", "FW_CHAT_URL": rec.URL(), "FW_OUT_DIR": t.TempDir(),
				"FW_METRICS_URL": rec.srv.URL + "/metrics", "FW_HEALTHZ_URL": rec.srv.URL + "/healthz",
			}
			maps.Copy(env, c.env)
			run := RunK6(t, bundledScenario, env)
			require.Equal(t, 107, run.ExitCode, "a script exception at init")
			require.Contains(t, run.Stderr, c.want)
			require.Empty(t, rec.Conns(), "nothing is sent")
			require.Zero(t, run.Count("fw_chat_turns"))
		})
	}
}

// FW_ARRIVAL=poisson runs the chat scenario under the open model (poisson-arrival-rate) and the
// summary and its identity say so, with the rate and burstiness.
func TestScenarioPoissonArrivalSmoke(t *testing.T) {
	t.Parallel() // asserts counts and the summary's text (chat thresholds only, as the dataset tests)
	f := StartFwsim(t)
	out := t.TempDir()
	env := scenarioEnv(t, f)
	env["FW_ARRIVAL"] = "poisson"
	env["FW_RATE"] = "4"
	env["FW_BURSTINESS"] = "0.5"
	env["FW_SEED"] = "11"
	env["FW_THINK_DIST"] = "exponential"
	env["FW_OUT_DIR"] = out
	run := RunK6(t, bundledScenario, env)
	requireChatPassed(t, run)

	sessions := run.Sum("iterations", "scenario", "chat")
	require.Positive(t, sessions)
	require.EqualValues(t, f.Truth(t).Connections.Opened, sessions, "one socket per arrival")
	require.Contains(t, run.Stdout, "open model, 4 sessions/s")
	require.Contains(t, run.Stdout, "open model: poisson-arrival-rate 4/s, burstiness 0.5 (gap CV 1.41), max 20 VUs, seed 11")
	// Dropped arrivals (no free VU) are not asserted to be zero: on a loaded machine a VU may not be
	// back in time. The summary reports what k6 counted.
	require.Contains(t, run.Stdout, fmt.Sprintf("sessions               %.0f completed, %.0f dropped (no free VU)",
		sessions, run.Sum("dropped_iterations")))
	require.Contains(t, run.Stdout, "think time             exponential, mean 0.5 s")

	id := readIdentity(t, out)
	require.Equal(t, "poisson", id.Arrival)
	require.NotNil(t, id.Rate)
	require.InDelta(t, 4, *id.Rate, 0)
	require.NotNil(t, id.Burstiness)
	require.InDelta(t, 0.5, *id.Burstiness, 0)
	require.Equal(t, "exponential", id.ThinkDist)
	require.Nil(t, id.Dataset)
}
