package cli

import (
	"bytes"
	"strings"
	"testing"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// ttftP95 returns an edit that multiplies the fixture's TTFT p95 by f.
func ttftP95(f float64) func(raw map[string]any) {
	return func(raw map[string]any) {
		v := raw["metrics"].(map[string]any)["fw_chat_ttft"].(map[string]any)["values"].(map[string]any)
		v["p(95)"] = v["p(95)"].(float64) * f
	}
}

func TestListsOfRuns(t *testing.T) {
	t.Parallel()
	b1, b2, b3 := variant(t, ttftP95(1)), variant(t, ttftP95(1.02)), variant(t, ttftP95(0.98))
	slow := []string{variant(t, ttftP95(1.6)), variant(t, ttftP95(1.62)), variant(t, ttftP95(1.58))}
	noisy := variant(t, ttftP95(3))
	otherHold := variant(t, func(raw map[string]any) { raw["featherweight"].(map[string]any)["hold"] = "5m" })
	poisson := variant(t, func(raw map[string]any) { raw["featherweight"].(map[string]any)["arrival"] = "poisson" })
	base := b1 + "," + b2 + "," + b3
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string
		stderr string
	}{
		{
			"1 three healthy against three healthy",
			[]string{"-base", base, "-new", base},
			nil, exitcode.Pass,
			"no regression", "",
		},
		{
			"2 three slower runs, the flag repeated",
			[]string{"-base", base, "-new", slow[0], "-new", slow[1], "-new", slow[2]},
			nil,
			exitcode.Failed, "REGRESSION in 1 figure(s): TTFT p95 (fw_chat_ttft p(95): +", "",
		},
		{
			"3 one noisy run among three",
			[]string{"-base", base, "-new", b1 + "," + b2 + "," + noisy},
			nil, exitcode.Pass,
			"beyond the tolerance but not significant at alpha 0.05: TTFT p95", "",
		},
		{
			"4 the noisy run alone",
			[]string{"-base", b1, "-new", noisy},
			nil, exitcode.Failed,
			"needs 2 or more runs a side (3 recommended)", "",
		},
		{
			"5 alpha from the environment",
			[]string{"-base", base, "-new", strings.Join(slow, ",")},
			map[string]string{"FW_COMPARE_ALPHA": "0.0000001"},
			exitcode.Pass, "alpha 1e-07", "",
		},
		{
			"6 runs of one side differ",
			[]string{"-base", base, "-new", slow[0] + "," + otherHold},
			nil, exitcode.NotComparable,
			"", `the NEW runs are of different scenarios or profiles: hold is "10s" in ` + slow[0] + ` but "5m" in ` + otherHold,
		},
		{
			"7 another arrival model",
			[]string{"-base", base, "-new", poisson},
			nil, exitcode.NotComparable,
			"", `arrival is "closed" in BASE but "poisson" in NEW`,
		},
		{"8 lists and arguments together", []string{"-base", base, "-new", base, fixture}, nil, exitcode.BadInput, "", "give both -base and -new"},
		{"9 only -base", []string{"-base", base}, nil, exitcode.BadInput, "", "give both -base and -new"},
		{"10 bad alpha", []string{"-alpha", "5", fixture, fixture}, nil, exitcode.BadInput, "", "-alpha 5"},
		{"11 bad alpha in the environment", []string{fixture, fixture}, map[string]string{"FW_COMPARE_ALPHA": "x"}, exitcode.BadInput, "", "FW_COMPARE_ALPHA"},
		{"12 a bad file in a list", []string{"-base", base + ",/nonexistent.json", "-new", base}, nil, exitcode.BadInput, "", "BASE open /nonexistent.json"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			code := runCompare(c.args, knob.MapEnv(c.env), &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, c.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), c.stdout) {
				t.Errorf("stdout lacks %q:\n%s", c.stdout, stdout.String())
			}
			if !strings.Contains(stderr.String(), c.stderr) {
				t.Errorf("stderr lacks %q:\n%s", c.stderr, stderr.String())
			}
		})
	}
}
