package compare

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// fixture is a real summary.json of a smoke run of the bundled scenario against a healthy fwsim.
const fixture = "testdata/smoke-summary.json"

// loadRaw returns the fixture as a generic JSON tree, for tests to edit.
func loadRaw(t *testing.T) map[string]any {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// summaryOf reads a (possibly edited) JSON tree as a Summary.
func summaryOf(t *testing.T, raw map[string]any, name string) *Summary {
	t.Helper()
	b, err := json.Marshal(raw)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Read(strings.NewReader(string(b)), name)
	if err != nil {
		t.Fatalf("Read(%s): %v", name, err)
	}
	return s
}

// setValue sets metrics[metric].values[stat] in a JSON tree.
func setValue(t *testing.T, raw map[string]any, metric, stat string, v float64) {
	t.Helper()
	m, ok := raw["metrics"].(map[string]any)[metric].(map[string]any)
	if !ok {
		t.Fatalf("fixture has no metric %s", metric)
	}
	m["values"].(map[string]any)[stat] = v
}

func value(t *testing.T, raw map[string]any, metric, stat string) float64 {
	t.Helper()
	return raw["metrics"].(map[string]any)[metric].(map[string]any)["values"].(map[string]any)[stat].(float64)
}

func TestLoadFixture(t *testing.T) {
	t.Parallel()
	s, err := Load(fixture)
	if err != nil {
		t.Fatal(err)
	}
	want := scenario.Identity{
		Scenario: "featherweight-load", Profile: "smoke", Protocol: "featherweight", VUs: 10,
		Ramp: "3s", Hold: "10s", RampDown: "2s", Think: 0.5, Turns: 2,
	}
	if *s.Identity != want {
		t.Errorf("identity = %+v, want %+v", s.Identity, want)
	}
	if s.DurationMs < 10_000 {
		t.Errorf("duration = %v ms", s.DurationMs)
	}
	for _, f := range Figures() {
		if _, ok := f.value(s); !ok {
			t.Errorf("fixture lacks %s", f.ID())
		}
	}
}

func TestReadRefusesWhatIsNotASummary(t *testing.T) {
	t.Parallel()
	noIdentity := loadRaw(t)
	delete(noIdentity, "featherweight")
	exportLike := map[string]any{ // the shape of k6 --summary-export: no "type" per metric
		"featherweight": map[string]any{"scenario": "featherweight-load"},
		"state":         map[string]any{"testRunDurationMs": 1000.0},
		"metrics":       map[string]any{"fw_chat_ttft": map[string]any{"avg": 1.0, "p(95)": 2.0}},
	}
	enc := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	cases := []struct {
		name, body, reason string
	}{
		{"1 plain text", "turns 147\n", "not a JSON object"},
		{"2 empty", "", "not a JSON object"},
		{"3 JSON array", "[1,2]", "not a JSON object"},
		{"4 other JSON", `{"hello":"world"}`, `no "metrics" and "state"`},
		{"5 no duration", `{"metrics":{},"state":{}}`, "testRunDurationMs"},
		{"6 summary-export shape", enc(exportLike), "--summary-export"},
		{"7 no identity", enc(noIdentity), `no "featherweight" identity`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			_, err := Read(strings.NewReader(c.body), "x.json")
			var nse *scenario.NotSummaryError
			if !errors.As(err, &nse) || !errors.Is(err, scenario.ErrNotSummary) {
				t.Fatalf("err = %v, want a NotSummaryError", err)
			}
			if !strings.Contains(err.Error(), c.reason) || !strings.HasPrefix(err.Error(), "x.json: ") {
				t.Errorf("err = %q, want it to name the file and contain %q", err, c.reason)
			}
		})
	}
}

func TestCompareRefusesDifferentScenariosOrProfiles(t *testing.T) {
	t.Parallel()
	base := summaryOf(t, loadRaw(t), "a")
	for _, c := range []struct {
		field string
		value any
	}{
		{"scenario", "other-script"},
		{"profile", "full"},
		{"vus", 20},
		{"hold", "5m"},
		{"protocol", "openai"},
	} {
		raw := loadRaw(t)
		raw["featherweight"].(map[string]any)[c.field] = c.value
		_, err := Compare(base, summaryOf(t, raw, "b"), DefaultTolerances())
		var me *scenario.MismatchError
		if !errors.As(err, &me) || !errors.Is(err, scenario.ErrMismatch) || me.Field != c.field {
			t.Errorf("%s differs: err = %v, want a MismatchError on %s", c.field, err, c.field)
		}
	}
}

func TestCompareSameRunHasNoRegression(t *testing.T) {
	t.Parallel()
	s := summaryOf(t, loadRaw(t), "a")
	rep, err := Compare(s, s, DefaultTolerances())
	if err != nil {
		t.Fatal(err)
	}
	if regs := rep.Regressions(); len(regs) != 0 {
		t.Fatalf("regressions = %+v", regs)
	}
	if len(rep.Rows) != len(Figures()) {
		t.Fatalf("rows = %d", len(rep.Rows))
	}
}

// Each case changes one figure of NEW and expects exactly the named rows to regress.
func TestCompareJudgesEachKind(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		edit   func(t *testing.T, raw map[string]any)
		regess []string // Figure IDs that must fail; nothing else may
	}{
		{"1 TTFT p95 +60% and +29ms", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_ttft", "p(95)", value(t, raw, "fw_chat_ttft", "p(95)")*1.6)
		}, []string{"fw_chat_ttft p(95)"}},
		{"2 ITL p50 +50% but under the 10ms floor", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_itl", "med", value(t, raw, "fw_chat_itl", "med")*1.5)
		}, nil},
		{"3 TTFT p50 faster is better, not a regression", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_ttft", "med", 1)
		}, nil},
		{"4 error rate +1 point", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "error_rate", "rate", value(t, raw, "error_rate", "rate")+0.01)
		}, []string{"error_rate rate"}},
		{"5 error rate +0.4 point is noise", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "error_rate", "rate", value(t, raw, "error_rate", "rate")+0.004)
		}, nil},
		{"6 tokens/s -20%", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_tokens", "rate", value(t, raw, "fw_chat_tokens", "rate")*0.8)
		}, []string{"fw_chat_tokens rate"}},
		{"7 turns/s -10% is noise", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_turns", "rate", value(t, raw, "fw_chat_turns", "rate")*0.9)
		}, nil},
		{"8 Hz avg -3", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_loop_hz", "avg", value(t, raw, "fw_loop_hz", "avg")-3)
		}, []string{"fw_loop_hz avg"}},
		{"9 Hz min -20", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_loop_hz", "min", value(t, raw, "fw_loop_hz", "min")-20)
		}, []string{"fw_loop_hz min"}},
		{"10 no TTFT at all in NEW", func(_ *testing.T, raw map[string]any) {
			delete(raw["metrics"].(map[string]any), "fw_chat_ttft")
		}, []string{"fw_chat_ttft med", "fw_chat_ttft p(90)", "fw_chat_ttft p(95)", "fw_chat_ttft p(99)"}},
		{"11 a threshold failed in NEW", func(_ *testing.T, raw map[string]any) {
			m := raw["metrics"].(map[string]any)["fw_loop_hz"].(map[string]any)
			m["thresholds"] = map[string]any{"avg>95": map[string]any{"ok": false}}
		}, []string{"thresholds"}},
		{"13 ITL p99 +60% but under the 25ms tail floor", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_itl", "p(99)", value(t, raw, "fw_chat_itl", "p(99)")*1.6)
		}, nil},
		{"14 ITL p99 +40ms", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_itl", "p(99)", value(t, raw, "fw_chat_itl", "p(99)")+40)
		}, []string{"fw_chat_itl p(99)"}},
		{"12 the turn count alone is only shown", func(t *testing.T, raw map[string]any) {
			setValue(t, raw, "fw_chat_turns", "count", 1)
		}, nil},
	}
	base := summaryOf(t, loadRaw(t), "a")
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			raw := loadRaw(t)
			c.edit(t, raw)
			rep, err := Compare(base, summaryOf(t, raw, "b"), DefaultTolerances())
			if err != nil {
				t.Fatal(err)
			}
			regs := rep.Regressions()
			got := make([]string, 0, len(regs))
			for _, r := range regs {
				got = append(got, r.ID())
			}
			if strings.Join(got, ",") != strings.Join(c.regess, ",") {
				t.Errorf("regressions = %v, want %v", got, c.regess)
			}
		})
	}
}

func TestTolerancesAreApplied(t *testing.T) {
	t.Parallel()
	raw := loadRaw(t)
	setValue(t, raw, "fw_chat_ttft", "p(95)", value(t, raw, "fw_chat_ttft", "p(95)")*1.6)
	base, next := summaryOf(t, loadRaw(t), "a"), summaryOf(t, raw, "b")
	tol := DefaultTolerances()
	tol.Latency = 0.7
	rep, err := Compare(base, next, tol)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Regressions()); n != 0 {
		t.Errorf("a 70%% latency tolerance still found %d regressions", n)
	}
	tol = DefaultTolerances()
	tol.LatencyFloor = time.Second
	if rep, _ = Compare(base, next, tol); len(rep.Regressions()) != 0 {
		t.Errorf("a 1s latency floor still found regressions")
	}
}

func TestWriteTableNamesTheRegression(t *testing.T) {
	t.Parallel()
	raw := loadRaw(t)
	setValue(t, raw, "fw_chat_ttft", "p(95)", 300)
	rep, err := Compare(summaryOf(t, loadRaw(t), "base.json"), summaryOf(t, raw, "new.json"), DefaultTolerances())
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"profile smoke", "BASE base.json", "NEW  new.json", "TTFT p95", "300.0ms",
		"REGRESSION in 1 figure(s): TTFT p95 (fw_chat_ttft p(95): +251.6ms (+519%))",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	same, _ := Compare(rep.Base, rep.Base, DefaultTolerances())
	b.Reset()
	_ = same.WriteTable(&b)
	if !strings.HasSuffix(b.String(), "\nno regression\n") {
		t.Errorf("same-run table does not end in 'no regression':\n%s", b.String())
	}
}

func TestParseFraction(t *testing.T) {
	t.Parallel()
	//nolint:gocritic // " 5 % " tests that ParseFraction trims spaces
	for in, want := range map[string]Fraction{"20%": 0.2, "0.2": 0.2, " 5 % ": 0.05, "0": 0, "150%": 1.5} {
		got, err := ParseFraction(in)
		if err != nil || float64(got-want) > 1e-12 || float64(want-got) > 1e-12 {
			t.Errorf("ParseFraction(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "abc", "NaN", "%"} {
		if _, err := ParseFraction(in); err == nil {
			t.Errorf("ParseFraction(%q) accepted", in)
		}
	}
}

func TestTailLatencyHasItsOwnTolerance(t *testing.T) {
	t.Parallel()
	raw := loadRaw(t)
	p99 := value(t, raw, "fw_chat_ttft", "p(99)")
	setValue(t, raw, "fw_chat_ttft", "p(99)", p99*1.3) // +30%, +16ms: noise for a p99
	base := summaryOf(t, loadRaw(t), "a")
	tol := DefaultTolerances()
	tol.TailMinSamples = 0 // the fixture has 147 turns: judge its p99 anyway
	rep, err := Compare(base, summaryOf(t, raw, "b"), tol)
	if err != nil {
		t.Fatal(err)
	}
	if n := len(rep.Regressions()); n != 0 {
		t.Errorf("+30%% on a p99 is within the default tail tolerance, got %d regressions", n)
	}
	setValue(t, raw, "fw_chat_ttft", "p(99)", p99*1.6)
	rep, _ = Compare(base, summaryOf(t, raw, "b"), tol)
	if regs := rep.Regressions(); len(regs) != 1 || regs[0].ID() != "fw_chat_ttft p(99)" {
		t.Errorf("+60%% on TTFT p99: regressions = %+v", regs)
	}
}

// A p99 over fewer samples than TailMinSamples is shown, not judged: the smoke fixture has 147 turns
// (so TTFT and TPOT p99 are unjudged) and 3528 tokens (so ITL p99 is judged).
func TestFewSamplesLeaveAP99Unjudged(t *testing.T) {
	t.Parallel()
	raw := loadRaw(t)
	setValue(t, raw, "fw_chat_ttft", "p(99)", value(t, raw, "fw_chat_ttft", "p(99)")*3)
	setValue(t, raw, "fw_chat_itl", "p(99)", value(t, raw, "fw_chat_itl", "p(99)")*3)
	rep, err := Compare(summaryOf(t, loadRaw(t), "a"), summaryOf(t, raw, "b"), DefaultTolerances())
	if err != nil {
		t.Fatal(err)
	}
	verdicts := map[string]Verdict{}
	for _, r := range rep.Rows {
		verdicts[r.ID()] = r.Verdict
	}
	if verdicts["fw_chat_ttft p(99)"] != FewSamples || verdicts["fw_chat_tpot p(99)"] != FewSamples {
		t.Errorf("TTFT/TPOT p99 over 147 turns: %q, %q; want %q", verdicts["fw_chat_ttft p(99)"], verdicts["fw_chat_tpot p(99)"], FewSamples)
	}
	if verdicts["fw_chat_itl p(99)"] != Regression {
		t.Errorf("ITL p99 over 3528 tokens tripled: %q, want %q", verdicts["fw_chat_itl p(99)"], Regression)
	}
}
