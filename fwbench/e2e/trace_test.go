//go:build e2e

package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwsim"
)

// smallTrace is 40 rows of the Azure LLM conversation trace (24 s), replayed 8 times as fast.
const (
	smallTrace      = "testdata/trace/azure-40.csv"
	smallTraceSpeed = "8"
)

// azureRows reads an Azure trace the way its documentation defines it, independently of the
// extension's parser: each row's ContextTokens and GeneratedTokens.
func azureRows(t *testing.T, path string) (in, out []int) {
	t.Helper()
	f, err := os.Open(path) // #nosec G304 -- a trace file of the repository
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	recs, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"TIMESTAMP", "ContextTokens", "GeneratedTokens"}, recs[0])
	for _, r := range recs[1:] {
		i, err := strconv.Atoi(r[1])
		require.NoError(t, err)
		o, err := strconv.Atoi(r[2])
		require.NoError(t, err)
		in, out = append(in, i), append(out, o)
	}
	return in, out
}

func absPath(t *testing.T, p string) string {
	t.Helper()
	abs, err := filepath.Abs(p)
	require.NoError(t, err)
	return abs
}

// FW_ARRIVAL=trace starts one session per row of the trace: fwsim sees as many turns as the trace
// has rows, and the summary sets the trace's requested output tokens beside the tokens received.
func TestScenarioTraceReplayStartsOneSessionPerRow(t *testing.T) {
	f := StartFwsim(t, "-record-turns", "1000", "-tokens", "3", "-ttft", "5ms", "-itl", "1ms")
	_, outTokens := azureRows(t, smallTrace)
	run := RunK6(t, bundledScenario, traceScenarioEnv(t, f, ""))
	requireChatPassed(t, run)

	body, err := f.TurnsNDJSON(t.Context())
	require.NoError(t, err)
	turns, unrecorded, err := fwsim.ReadTurns(strings.NewReader(string(body)))
	require.NoError(t, err)
	require.Zero(t, unrecorded)
	dropped := run.Sum("dropped_iterations", "scenario", "chat")
	started := run.Sum("iterations", "scenario", "chat")
	t.Logf("%d rows: %v sessions started, %v dropped; the server saw %d turns", len(outTokens), started, dropped, len(turns))
	// Forty VUs for forty rows: a row is dropped only when the machine stalls a VU's goroutine for
	// longer than the executor's 2 ms hand-off wait.
	require.LessOrEqual(t, dropped, 2.0)
	require.EqualValues(t, len(outTokens), started+dropped, "every row started or counted as dropped")
	require.EqualValues(t, started, len(turns), "the server saw one turn per session started")
	require.EqualValues(t, started, f.Truth(t).Connections.Opened, "one session (socket) per row started")

	require.Contains(t, run.Stdout, fmt.Sprintf("trace replay: trace-arrival %s (azure, 40 rows over 24.1 s) at speed 8, max 40 VUs",
		absPath(t, smallTrace)))
	if dropped == 0 {
		requested := 0
		for _, o := range outTokens {
			requested += o
		}
		require.Len(t, turns, len(outTokens), "the server saw one turn per trace row")
		require.Contains(t, run.Stdout, fmt.Sprintf("output tokens          %d requested by the trace rows started, %d received",
			requested, 3*len(outTokens)))
	} else {
		require.Contains(t, run.Stdout, "requested by the trace rows started")
	}
}

// traceScenarioEnv is the bundled scenario's environment for replaying smallTrace on f (the chat on
// chatURL when it is not empty), with a VU for every row.
func traceScenarioEnv(t *testing.T, f *Fwsim, chatURL string) map[string]string {
	t.Helper()
	env := scenarioEnv(t, f)
	env["FW_ARRIVAL"] = "trace"
	env["FW_TRACE"] = absPath(t, smallTrace)
	env["FW_TRACE_SPEED"] = smallTraceSpeed
	env["FW_VUS"] = "40"
	env["FW_MAX_VUS"] = "40"
	env["FW_OUT_DIR"] = t.TempDir()
	if chatURL != "" {
		env["FW_CHAT_URL"] = chatURL
	}
	return env
}

// Each row's session sends one prompt of the row's input length in whitespace-separated words:
// synthetic words without a dataset, the dataset's words with FW_DATASET.
func TestScenarioTracePromptsHaveEachRowsInputLength(t *testing.T) {
	inTokens, _ := azureRows(t, smallTrace)
	want := slices.Sorted(slices.Values(inTokens))
	for _, dataset := range []string{"", "../../examples/data/chat-sharegpt.jsonl"} {
		rec := newPromptRecorder(t)
		env := traceScenarioEnv(t, StartFwsim(t), rec.URL())
		if dataset != "" {
			env["FW_DATASET"] = absPath(t, dataset)
		}
		run := RunK6(t, bundledScenario, env)
		requireChatPassed(t, run)
		if dropped := run.Sum("dropped_iterations", "scenario", "chat"); dropped > 0 {
			t.Fatalf("%v rows dropped (a stalled machine): the prompt lengths cannot be matched to the rows", dropped)
		}
		conns := rec.Conns()
		words := make([]int, 0, len(conns))
		vocabulary := map[string]bool{}
		for _, prompts := range conns {
			require.Len(t, prompts, 1, "one prompt per session (dataset %q)", dataset)
			fields := strings.Fields(prompts[0])
			words = append(words, len(fields))
			for _, w := range fields {
				vocabulary[w] = true
			}
		}
		require.Equal(t, want, slices.Sorted(slices.Values(words)), "prompt lengths in words (dataset %q)", dataset)
		if dataset != "" {
			datasetWords := map[string]bool{}
			for _, conv := range humanTurns(t, dataset) {
				for _, turn := range conv {
					for w := range strings.FieldsSeq(turn) {
						datasetWords[w] = true
					}
				}
			}
			for w := range vocabulary {
				require.True(t, datasetWords[w], "%q is not a word of the dataset", w)
			}
		}
	}
}

// Instances of an execution segment sequence start every row of the trace exactly once between
// them, and each iteration's fw.traceRow() is the row of its iterationInTest.
func TestTraceSegmentsStartEveryRowOnce(t *testing.T) {
	srv := newArrivalServer(t)
	env := map[string]string{"TRACE": absPath(t, smallTrace), "SPEED": smallTraceSpeed, "VUS": "40"}
	single := arrivalRun(t, srv, "trace.js", "single", env)
	// The two instances run at the same time, as a segmented test's instances do.
	var first, second K6Run
	t.Run("segments", func(t *testing.T) {
		t.Run("first", func(t *testing.T) {
			t.Parallel()
			first = arrivalRun(t, srv, "trace.js", "first", env,
				"--execution-segment", "0:1/3", "--execution-segment-sequence", "0,1/3,1")
		})
		t.Run("second", func(t *testing.T) {
			t.Parallel()
			second = arrivalRun(t, srv, "trace.js", "second", env,
				"--execution-segment", "1/3:1", "--execution-segment-sequence", "0,1/3,1")
		})
	})
	all := make([]int64, 40)
	for i := range all {
		all[i] = int64(i)
	}
	for _, r := range []K6Run{single, first, second} {
		require.Equal(t, 0, r.ExitCode, r.Stderr)
		require.Zero(t, r.Sum("dropped_iterations"))
	}
	require.Equal(t, all, srv.indexes(t, "single"), "a single instance starts every row once")
	a, b := srv.indexes(t, "first"), srv.indexes(t, "second")
	require.NotEmpty(t, a)
	require.NotEmpty(t, b)
	require.Equal(t, all, slices.Sorted(slices.Values(append(slices.Clone(a), b...))),
		"the instances together start every row exactly once")
}

// A bad trace or trace option fails at init, before anything is sent: a configuration error
// (exit 104) naming the file and line, or the option.
func TestBadTracesFailAtInitNamingTheFileAndLine(t *testing.T) {
	srv := newArrivalServer(t)
	malformed, backwards := absPath(t, "testdata/trace/malformed.csv"), absPath(t, "testdata/trace/backwards.txt")
	for i, tc := range []struct {
		env     map[string]string
		mention string
	}{
		{map[string]string{"TRACE": malformed}, malformed + `:4: ContextTokens`},
		{map[string]string{"TRACE": backwards}, backwards + ":3: timestamp goes back in time"},
		{map[string]string{"TRACE": absPath(t, smallTrace), "SPEED": "0"}, "speed must be a number more than 0, got 0"},
		{map[string]string{"TRACE": absPath(t, smallTrace), "FORMAT": "csv"}, `format: unknown trace format`},
		{map[string]string{"TRACE": "testdata/trace/none.csv"}, "trace: open testdata/trace/none.csv: no such file"},
	} {
		run := arrivalRun(t, srv, "trace.js", fmt.Sprint("bad", i), tc.env)
		require.Equal(t, invalidConfigExitCode, run.ExitCode, "%v\n%s", tc.env, run.Stderr)
		require.Contains(t, run.Stderr, tc.mention, tc.env)
		require.Empty(t, srv.arrivals(fmt.Sprint("bad", i)), "nothing is sent: %v", tc.env)
	}
}

// The bundled scenario reads the trace in its init context (to size the Hz scenario): a bad trace
// throws there, naming the file and line, and nothing is sent.
func TestScenarioBadTraceFailsAtInitAndSendsNothing(t *testing.T) {
	malformed := absPath(t, "testdata/trace/malformed.csv")
	for _, tc := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"FW_ARRIVAL": "trace", "FW_TRACE": malformed}, malformed + `:4: ContextTokens`},
		{map[string]string{"FW_ARRIVAL": "trace"}, "FW_ARRIVAL=trace needs FW_TRACE"},
		{map[string]string{"FW_ARRIVAL": "trace", "FW_TRACE": malformed, "FW_RATE": "3"}, "FW_RATE applies to FW_ARRIVAL=poisson"},
		{map[string]string{"FW_TRACE": malformed}, "FW_TRACE applies to FW_ARRIVAL=trace"},
		{map[string]string{"FW_ARRIVAL": "trace", "FW_TRACE": absPath(t, smallTrace), "FW_TRACE_SPEED": "0"}, "FW_TRACE_SPEED=0: expected a number greater than 0"},
	} {
		rec := newPromptRecorder(t)
		env := map[string]string{
			"FW_PROFILE": "smoke", "FW_CHAT_URL": rec.URL(),
			"FW_METRICS_URL": rec.srv.URL + "/metrics", "FW_HEALTHZ_URL": rec.srv.URL + "/healthz",
		}
		maps.Copy(env, tc.env)
		run := RunK6(t, bundledScenario, env)
		require.Equal(t, 107, run.ExitCode, "a script exception at init: %v", tc.env)
		require.Contains(t, run.Stderr, tc.want)
		require.Empty(t, rec.Conns(), "nothing is sent")
	}
}

func TestInspectGivesTheTraceExamplesVUNeedsAndDuration(t *testing.T) {
	cmd := exec.CommandContext(t.Context(), binary(t, "FW_K6"), "inspect", "--execution-requirements", "examples/trace-replay.js") // #nosec G204 -- the k6 binary under test
	cmd.Dir = "../.."
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true", "K6_AUTO_EXTENSION_RESOLUTION=false")
	out, err := cmd.Output()
	require.NoError(t, err)
	var got struct {
		MaxVUs        int    `json:"maxVUs"`
		TotalDuration string `json:"totalDuration"`
	}
	require.NoError(t, json.Unmarshal(out, &got))
	require.Equal(t, 100, got.MaxVUs)
	// The excerpt's 500 rows span 129.013 s; at speed 10, 12.902 s, plus gracefulStop 30 s.
	require.Equal(t, "42.902s", got.TotalDuration)
}
