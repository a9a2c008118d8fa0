package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

const fixture = "../compare/testdata/smoke-summary.json"

// variant writes a copy of the fixture edited by edit and returns its path.
func variant(t *testing.T, edit func(raw map[string]any)) string {
	t.Helper()
	b, err := os.ReadFile(fixture)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	edit(raw)
	if b, err = json.Marshal(raw); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "summary.json")
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func slowTTFT(raw map[string]any) {
	ttft := raw["metrics"].(map[string]any)["fw_chat_ttft"].(map[string]any)["values"].(map[string]any)
	ttft["p(95)"] = 300.0
}

func TestExitCodes(t *testing.T) {
	t.Parallel()
	slow := variant(t, slowTTFT)
	otherProfile := variant(t, func(raw map[string]any) { raw["featherweight"].(map[string]any)["profile"] = "full" })
	notSummary := filepath.Join(t.TempDir(), "notes.txt")
	if err := os.WriteFile(notSummary, []byte("hello\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		args   []string
		env    map[string]string
		code   int
		stdout string // substring of stdout
		stderr string // substring of stderr
	}{
		{"1 same run", []string{fixture, fixture}, nil, exitcode.Pass, "no regression", ""},
		{"2 slower TTFT", []string{fixture, slow}, nil, exitcode.Failed, "REGRESSION in 1 figure(s): TTFT p95 (fw_chat_ttft p(95)", ""},
		{"3 flag tolerance", []string{"-latency", "600%", fixture, slow}, nil, exitcode.Pass, "no regression", ""},
		{"4 env tolerance", []string{fixture, slow}, map[string]string{"FW_COMPARE_LATENCY_FLOOR": "1s"}, exitcode.Pass, "no regression", ""},
		{"5 flag beats env", []string{"-latency-floor", "0s", fixture, slow}, map[string]string{"FW_COMPARE_LATENCY_FLOOR": "1s"}, exitcode.Failed, "fw_chat_ttft p(95)", ""},
		{"6 different profiles", []string{fixture, otherProfile}, nil, exitcode.NotComparable, "", `profile is "smoke" in BASE but "full" in NEW`},
		{"7 not a summary", []string{fixture, notSummary}, nil, exitcode.BadInput, "", "NEW " + notSummary + ": not a k6 summary"},
		{"8 no such file", []string{"/nonexistent/summary.json", fixture}, nil, exitcode.BadInput, "", "BASE open /nonexistent/summary.json"},
		{"9 one argument", []string{fixture}, nil, exitcode.BadInput, "", "expected BASE and NEW"},
		{"10 bad flag value", []string{"-latency", "lots", fixture, fixture}, nil, exitcode.BadInput, "", "non-negative ratio"},
		{"11 bad env value", []string{fixture, fixture}, map[string]string{"FW_COMPARE_HZ_AVG": "-1"}, exitcode.BadInput, "", "FW_COMPARE_HZ_AVG"},
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
