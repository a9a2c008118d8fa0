package capacity

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// flakyRunner is modelRunner with scripted verdicts: the n-th run at a user count in script passes
// when script[users][n] is true (past the script, or for other counts, the model decides).
type flakyRunner struct {
	modelRunner
	script map[int][]bool
	seen   map[int]int
}

func (f *flakyRunner) RunStep(ctx context.Context, users int) (Step, error) {
	if f.seen == nil {
		f.seen = map[int]int{}
	}
	n := f.seen[users]
	f.seen[users]++
	verdicts, ok := f.script[users]
	if !ok || n >= len(verdicts) {
		return f.modelRunner.RunStep(ctx, users)
	}
	model := f.knee
	if verdicts[n] {
		f.knee = users // pass: the model holds at these users
	} else {
		f.knee = users * 9 / 10 // the loop at 90 Hz
	}
	st, err := f.modelRunner.RunStep(ctx, users)
	f.knee = model
	return st, err
}

// The decision table of FW_CAPACITY_CONFIRM: the first verdict of each count is the search's, the
// rest are its re-runs.
func TestConfirmDecisions(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name     string
		opts     Options
		knee     int
		script   map[int][]bool
		ran      []int
		verdict  Verdict
		capacity int
		answer   string
	}{
		{
			"the knee holds in every re-run",
			Options{Min: 10, Max: 40, Step: 10, Confirm: 3},
			20, nil,
			[]int{10, 20, 30, 20, 30, 20, 30, 20, 30},
			VerdictKnee, 20,
			"capacity 20 users: at 30 fw_loop_hz avg 66.67 <= 95 broke first; confirmed: " +
				"20 users passed 3 of 3 re-runs (pass, pass, pass); 30 users failed 3 of 3 re-runs (fail, fail, fail)",
		},
		{
			"the knee holds in two of three",
			Options{Min: 10, Max: 40, Step: 10, Confirm: 3},
			20,
			map[int][]bool{30: {false, false, true, false}},
			[]int{10, 20, 30, 20, 30, 20, 30, 20, 30},
			VerdictKnee, 20,
			"; confirmed: 20 users passed 3 of 3 re-runs (pass, pass, pass); 30 users failed 2 of 3 re-runs (fail, pass, fail)",
		},
		{
			"the last passing step fails twice in three",
			Options{Min: 10, Max: 40, Step: 10, Confirm: 3},
			20,
			map[int][]bool{20: {true, false, true, false}},
			[]int{10, 20, 30, 20, 30, 20, 30, 20, 30},
			VerdictUnstable, 20,
			"unstable: the knee between 20 and 30 users did not hold in the majority of 3 re-runs: " +
				"20 users passed 1 of 3 re-runs (fail, pass, fail); 30 users failed 3 of 3 re-runs (fail, fail, fail)",
		},
		{
			"a tie is not a majority",
			Options{Min: 10, Max: 40, Step: 10, Confirm: 2},
			20,
			map[int][]bool{30: {false, true, false}},
			[]int{10, 20, 30, 20, 30, 20, 30},
			VerdictUnstable, 20,
			"30 users failed 1 of 2 re-runs (pass, fail)",
		},
		{
			"no knee below Max: Max is re-run",
			Options{Min: 10, Max: 20, Step: 10, Confirm: 3},
			1000,
			map[int][]bool{20: {true, false, false, true}},
			[]int{10, 20, 20, 20, 20},
			VerdictUnstable, 20,
			"unstable: the no knee below 20 users did not hold",
		},
		{
			"below Min: Min is re-run",
			Options{Min: 10, Max: 20, Step: 10, Confirm: 1},
			5, nil,
			[]int{10, 10},
			VerdictBelowMin, 0, "capacity below 10 users: at 10 fw_loop_hz",
		},
		{
			"bisection: the bracket is re-run",
			Options{Min: 200, Max: 1000, Step: 100, Strategy: StrategyBisect, Confirm: 1},
			650, nil,
			[]int{200, 1000, 600, 800, 700, 600, 700},
			VerdictKnee, 600, "confirmed: 600 users passed 1 of 1",
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := &flakyRunner{modelRunner: modelRunner{knee: c.knee}, script: c.script}
			var progress bytes.Buffer
			c.opts.Progress = &progress
			rep, err := Search(context.Background(), c.opts, f)
			require.NoError(t, err)
			require.Equal(t, c.ran, f.ran)
			require.Equal(t, c.verdict, rep.Verdict)
			require.Equal(t, c.capacity, rep.Capacity)
			require.Contains(t, rep.Answer, c.answer)
			require.NotNil(t, rep.Confirm)
			require.Equal(t, c.verdict != VerdictUnstable, rep.Confirm.Stable)
			confirming := 0
			for _, st := range rep.Steps {
				if st.Confirming {
					confirming++
				}
			}
			require.Equal(t, len(rep.Confirm.Checks)*c.opts.Confirm, confirming, "every re-run is a step of the report")
			require.Contains(t, progress.String(), "capacity: confirmation: ")
		})
	}
}

func TestConfirmOutputsAndErrors(t *testing.T) {
	t.Parallel()
	f := &flakyRunner{modelRunner: modelRunner{knee: 20}, script: map[int][]bool{20: {true, false, false, true}}}
	rep, err := Search(context.Background(), Options{Min: 10, Max: 40, Step: 10, Confirm: 3}, f)
	require.NoError(t, err)
	var table bytes.Buffer
	require.NoError(t, rep.WriteTable(&table))
	out := table.String()
	require.Contains(t, out, "pass*")
	require.Contains(t, out, "FAIL*")
	require.Contains(t, out, "* a re-run confirming the verdict (FW_CAPACITY_CONFIRM=3)")
	require.True(t, strings.HasSuffix(out, rep.Answer+"\n"))
	require.True(t, strings.HasPrefix(rep.Answer, "unstable: "), rep.Answer)

	path := filepath.Join(t.TempDir(), "capacity.json")
	require.NoError(t, rep.WriteJSON(path))
	raw, err := os.ReadFile(path) // #nosec G304 -- the test's temp dir
	require.NoError(t, err)
	var doc struct {
		Verdict string       `json:"verdict"`
		Confirm Confirmation `json:"confirm"`
		Steps   []Step       `json:"steps"`
	}
	require.NoError(t, json.Unmarshal(raw, &doc))
	require.Equal(t, "unstable", doc.Verdict)
	require.Equal(t, []Check{
		{Users: 20, Expected: "pass", Verdicts: []string{"fail", "fail", "pass"}, Held: false},
		{Users: 30, Expected: "fail", Verdicts: []string{"fail", "fail", "fail"}, Held: true},
	}, doc.Confirm.Checks)
	require.Len(t, doc.Steps, 9)

	// A re-run that cannot run leaves the search incomplete, with its bracket.
	boom := errors.New("k6 exploded")
	m := &modelRunner{knee: 20, err: boom, errN: 4}
	rep, err = Search(context.Background(), Options{Min: 10, Max: 40, Step: 10, Confirm: 3}, m)
	require.ErrorIs(t, err, boom)
	require.Equal(t, VerdictIncomplete, rep.Verdict)
	require.True(t, strings.HasPrefix(rep.Answer, "incomplete: capacity between 20 and 29 users"), rep.Answer)

	_, err = Search(context.Background(), Options{Min: 1, Max: 2, Step: 1, Confirm: -1}, m)
	require.ErrorIs(t, err, ErrOptions)
	require.ErrorContains(t, err, "FW_CAPACITY_CONFIRM=-1")
}
