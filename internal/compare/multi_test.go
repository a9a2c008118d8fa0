package compare

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// runs returns n summaries of the fixture, run i edited by edit(i, raw), named prefix1.json ...
func runs(t *testing.T, prefix string, n int, edit func(i int, raw map[string]any)) []*Summary {
	t.Helper()
	out := make([]*Summary, n)
	for i := range out {
		raw := loadRaw(t)
		if edit != nil {
			edit(i, raw)
		}
		out[i] = summaryOf(t, raw, fmt.Sprintf("%s%d.json", prefix, i+1))
	}
	return out
}

// scaled sets the TTFT's stat in run i to the fixture's value times factors[i].
func scaled(t *testing.T, stat string, factors ...float64) func(int, map[string]any) {
	return func(i int, raw map[string]any) {
		setValue(t, raw, metricTTFT, stat, value(t, raw, metricTTFT, stat)*factors[i])
	}
}

func verdictOf(t *testing.T, rep *SetReport, id string) SetRow {
	t.Helper()
	for _, r := range rep.Rows {
		if r.ID() == id {
			return r
		}
	}
	t.Fatalf("no row %s", id)
	return SetRow{}
}

func regressionIDs(rep *SetReport) string {
	regs := rep.Regressions()
	ids := make([]string, 0, len(regs))
	for _, r := range regs {
		ids = append(ids, r.ID())
	}
	return strings.Join(ids, ",")
}

// The decision table: tolerance and significance together.
func TestCompareSetsDecisions(t *testing.T) {
	t.Parallel()
	const p95 = "fw_chat_ttft p(95)"
	base := runs(t, "base", 3, scaled(t, "p(95)", 1.00, 1.02, 0.98))
	cases := []struct {
		name    string
		next    []*Summary
		verdict Verdict
		tested  bool
	}{
		{
			"every NEW run +60%: significant regression",
			runs(t, "new", 3, scaled(t, "p(95)", 1.60, 1.62, 1.58)), Regression, true,
		},
		{
			"one NEW run tripled, two healthy: beyond the tolerance on the mean but not significant",
			runs(t, "new", 3, scaled(t, "p(95)", 1.00, 1.01, 3.00)), NotSignificant, true,
		},
		{
			"+5% in every run: significant but within the tolerance",
			runs(t, "new", 3, scaled(t, "p(95)", 1.05, 1.051, 1.049)), OK, true,
		},
		{
			"every NEW run much faster: significant improvement",
			runs(t, "new", 3, scaled(t, "p(95)", 0.30, 0.31, 0.29)), Better, true,
		},
		{
			"one NEW run much faster: not significant",
			runs(t, "new", 3, scaled(t, "p(95)", 1, 1, 0.1)), NotSignificant, true,
		},
		{
			"one NEW run: judged by the tolerance alone",
			runs(t, "new", 1, scaled(t, "p(95)", 3.00)), Regression, false,
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			rep, err := Sets(base, c.next, DefaultTolerances(), DefaultAlpha)
			if err != nil {
				t.Fatal(err)
			}
			row := verdictOf(t, rep, p95)
			if row.Verdict != c.verdict || row.Tested != c.tested {
				t.Errorf("TTFT p95: %s (tested %v, p %v), want %s (tested %v)", row.Verdict, row.Tested, row.Welch.P, c.verdict, c.tested)
			}
			want := ""
			if c.verdict == Regression {
				want = p95
			}
			if got := regressionIDs(rep); got != want {
				t.Errorf("regressions %q, want %q", got, want)
			}
		})
	}
}

// The same noisy run that fails a one-run comparison does not flip a comparison of three runs.
func TestOneNoisyRunFlipsOnlyAOneRunComparison(t *testing.T) {
	t.Parallel()
	base := runs(t, "base", 3, scaled(t, "p(95)", 1.00, 1.02, 0.98))
	next := runs(t, "new", 3, scaled(t, "p(95)", 0.99, 1.01, 3.00))
	one, err := Sets(base[:1], next[2:], DefaultTolerances(), DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	if got := regressionIDs(one); got != "fw_chat_ttft p(95)" {
		t.Fatalf("one run a side: regressions %q", got)
	}
	three, err := Sets(base, next, DefaultTolerances(), DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	if got := regressionIDs(three); got != "" {
		t.Errorf("three runs a side: regressions %q", got)
	}
}

// With one run a side, Sets is Compare: the same verdicts, the same table, and a note.
func TestCompareSetsOfOneRunIsCompare(t *testing.T) {
	t.Parallel()
	raw := loadRaw(t)
	setValue(t, raw, "fw_chat_ttft", "p(95)", 300)
	setValue(t, raw, "fw_chat_tokens", "rate", value(t, raw, "fw_chat_tokens", "rate")*0.5)
	base, next := summaryOf(t, loadRaw(t), "base.json"), summaryOf(t, raw, "new.json")
	rep, err := Compare(base, next, DefaultTolerances())
	if err != nil {
		t.Fatal(err)
	}
	set, err := Sets([]*Summary{base}, []*Summary{next}, DefaultTolerances(), DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rep.Rows {
		if s := set.Rows[i]; s.Verdict != r.Verdict || s.Allowed != r.Allowed || s.Tested {
			t.Errorf("%s: sets %s %q (tested %v), Compare %s %q", r.ID(), s.Verdict, s.Allowed, s.Tested, r.Verdict, r.Allowed)
		}
	}
	var want, got strings.Builder
	if err := rep.WriteTable(&want); err != nil {
		t.Fatal(err)
	}
	if err := set.WriteTable(&got); err != nil {
		t.Fatal(err)
	}
	note := "one run a side: judged by the tolerances alone; significance (Welch's t-test, alpha 0.05) " +
		"needs 2 or more runs a side (3 recommended)\n"
	if got.String() != want.String()+note {
		t.Errorf("table:\n%s\nwant Compare's table and the note:\n%s%s", got.String(), want.String(), note)
	}
}

func TestSetTableShowsIntervalsAndTheTest(t *testing.T) {
	t.Parallel()
	base := runs(t, "base", 3, scaled(t, "p(95)", 1.00, 1.02, 0.98))
	next := runs(t, "new", 3, func(i int, raw map[string]any) {
		scaled(t, "p(95)", 1.60, 1.62, 1.58)(i, raw)
		scaled(t, "p(90)", 1, 1, 3)(i, raw)
	})
	rep, err := Sets(base, next, DefaultTolerances(), DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"BASE 3 runs: base1.json, base2.json, base3.json",
		"NEW  3 runs: new1.json, new2.json, new3.json",
		"mean ± 95% confidence interval",
		"significant (Welch's t-test, two-sided, alpha 0.05)",
		"BASE mean ± CI", "Welch p",
		"REGRESSION in 1 figure(s): TTFT p95 (fw_chat_ttft p(95): +",
		"beyond the tolerance but not significant at alpha 0.05: TTFT p90 (fw_chat_ttft p(90): +",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	p95 := verdictOf(t, rep, "fw_chat_ttft p(95)")
	if line := rowLine(out, "TTFT p95"); !strings.Contains(line, fmt.Sprintf("%.1fms ± %.1fms", p95.Base.Mean, p95.Base.HalfWidth)) {
		t.Errorf("TTFT p95 row lacks BASE's mean ± half width: %q", line)
	}
}

func rowLine(out, label string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(line, label+" ") {
			return line
		}
	}
	return ""
}

func TestCompareSetsMissingAndThresholds(t *testing.T) {
	t.Parallel()
	base := runs(t, "base", 3, nil)
	noTTFT := runs(t, "new", 3, func(i int, raw map[string]any) {
		if i == 1 {
			delete(raw["metrics"].(map[string]any), "fw_chat_ttft")
		}
	})
	rep, err := Sets(base, noTTFT, DefaultTolerances(), DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	if v := verdictOf(t, rep, "fw_chat_ttft med").Verdict; v != Missing {
		t.Errorf("one NEW run without TTFT: %s, want %s", v, Missing)
	}
	failing := func(every bool) []*Summary {
		return runs(t, "new", 3, func(i int, raw map[string]any) {
			if every || i == 0 {
				m := raw["metrics"].(map[string]any)["fw_loop_hz"].(map[string]any)
				m["thresholds"] = map[string]any{"avg>95": map[string]any{"ok": false}}
			}
		})
	}
	rep, _ = Sets(base, failing(false), DefaultTolerances(), DefaultAlpha)
	if v := verdictOf(t, rep, "thresholds").Verdict; v != NotSignificant {
		t.Errorf("a threshold failed in one of three NEW runs: %s, want %s", v, NotSignificant)
	}
	rep, _ = Sets(base, failing(true), DefaultTolerances(), DefaultAlpha)
	if v := verdictOf(t, rep, "thresholds").Verdict; v != Regression {
		t.Errorf("a threshold failed in every NEW run: %s, want %s", v, Regression)
	}
}

func TestCompareSetsRefusesMixedIdentities(t *testing.T) {
	t.Parallel()
	base := runs(t, "base", 3, nil)
	mixed := runs(t, "new", 3, func(i int, raw map[string]any) {
		if i == 2 {
			raw["featherweight"].(map[string]any)["hold"] = "5m"
		}
	})
	_, err := Sets(base, mixed, DefaultTolerances(), DefaultAlpha)
	var se *SideMismatchError
	if !errors.As(err, &se) || !errors.Is(err, scenario.ErrMismatch) {
		t.Fatalf("err = %v, want a SideMismatchError", err)
	}
	if want := `the NEW runs are of different scenarios or profiles: hold is "10s" in new1.json but "5m" in new3.json`; !strings.Contains(err.Error(), want) {
		t.Errorf("err = %q, want it to contain %q", err, want)
	}
	other := runs(t, "new", 3, func(_ int, raw map[string]any) { raw["featherweight"].(map[string]any)["profile"] = "full" })
	_, err = Sets(base, other, DefaultTolerances(), DefaultAlpha)
	var me *scenario.MismatchError
	if !errors.As(err, &me) || me.Field != "profile" {
		t.Errorf("err = %v, want a MismatchError on profile", err)
	}
	if _, err := Sets(nil, base, DefaultTolerances(), DefaultAlpha); !errors.Is(err, ErrNoRuns) {
		t.Errorf("no BASE run: %v", err)
	}
}

// The arrival model is part of the identity; a summary without one ran the closed model.
func TestArrivalModelIsPartOfTheIdentity(t *testing.T) {
	t.Parallel()
	withIdentity := func(fields map[string]any) *Summary {
		raw := loadRaw(t)
		maps.Copy(raw["featherweight"].(map[string]any), fields)
		return summaryOf(t, raw, "x.json")
	}
	old := withIdentity(nil)
	poisson := map[string]any{"arrival": "poisson", "rate": 5, "burstiness": 1, "thinkDist": "uniform"}
	cases := []struct {
		name  string
		a, b  map[string]any
		field string // "" = comparable
	}{
		{"old summary against an explicit closed model", nil, map[string]any{"arrival": "closed", "rate": nil}, ""},
		{"old summary against the open model", nil, poisson, "arrival"},
		{"closed against poisson", map[string]any{"arrival": "closed"}, poisson, "arrival"},
		{"two poisson runs", poisson, map[string]any{"arrival": "poisson", "rate": 5.0, "burstiness": "1", "thinkDist": "uniform"}, ""},
		{"poisson at another rate", poisson, map[string]any{"arrival": "poisson", "rate": 8, "burstiness": 1}, "rate"},
		{"poisson at another burstiness", poisson, map[string]any{"arrival": "poisson", "rate": 5, "burstiness": 0.25}, "burstiness"},
		{"a closed model's rate is not compared", map[string]any{"arrival": "closed", "rate": 3}, map[string]any{"rate": 9}, ""},
		{"exponential think time", nil, map[string]any{"thinkDist": "exponential"}, "thinkDist"},
		{"old summary against the default uniform think time", nil, map[string]any{"thinkDist": "uniform"}, ""},
		{"another dataset", map[string]any{"dataset": "a.jsonl"}, map[string]any{"dataset": "b.jsonl"}, "dataset"},
	}
	for _, c := range cases {
		a, b := old, withIdentity(c.b)
		if c.a != nil {
			a = withIdentity(c.a)
		}
		err := scenario.Comparable(*a.Identity, *b.Identity)
		var me *scenario.MismatchError
		switch {
		case c.field == "" && err != nil:
			t.Errorf("%s: %v, want comparable", c.name, err)
		case c.field != "" && (!errors.As(err, &me) || me.Field != c.field):
			t.Errorf("%s: %v, want a mismatch on %s", c.name, err, c.field)
		}
	}
	_, err := Sets([]*Summary{old}, []*Summary{withIdentity(poisson)}, DefaultTolerances(), DefaultAlpha)
	if err == nil || !strings.Contains(err.Error(), `arrival is "closed" in BASE but "poisson" in NEW`) {
		t.Errorf("err = %v", err)
	}
}

// Three runs against one: the intervals of the side that has them, verdicts by the tolerances alone.
func TestCompareSetsOfThreeAgainstOne(t *testing.T) {
	t.Parallel()
	base := runs(t, "base", 3, scaled(t, "p(95)", 1.00, 1.02, 0.98))
	next := runs(t, "new", 1, scaled(t, "p(95)", 1.6))
	rep, err := Sets(base, next, DefaultTolerances(), DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Significance() {
		t.Error("one NEW run: no significance test")
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"NEW  1 run: new1.json",
		"judged by the tolerances alone: significance (Welch's t-test, alpha 0.05) needs 2 or more runs a side (3 recommended)",
		"REGRESSION in 1 figure(s): TTFT p95 (fw_chat_ttft p(95): +",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if line := rowLine(out, "TTFT p95"); strings.Count(line, "±") != 1 {
		t.Errorf("only BASE has an interval: %q", line)
	}
}
