package fwbench

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// checkTrackedFiles runs scripts/check-tracked-files.sh on the git checkout dir.
func checkTrackedFiles(t *testing.T, dir string) (int, string) {
	t.Helper()
	script, err := filepath.Abs("../scripts/check-tracked-files.sh")
	require.NoError(t, err)
	var out bytes.Buffer
	cmd := exec.CommandContext(t.Context(), script, dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	if err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%s", out.String())
		return exit.ExitCode(), out.String()
	}
	return 0, out.String()
}

// gitRepo makes a git repository in a temp dir with files (path -> content) tracked.
func gitRepo(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := t.TempDir()
	for name, body := range files {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o750))
		require.NoError(t, os.WriteFile(p, body, 0o600))
	}
	for _, args := range [][]string{{"init", "-q"}, {"add", "-A"}} {
		out, err := exec.CommandContext(t.Context(), "git", append([]string{"-C", dir}, args...)...).CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
	}
	return dir
}

func TestCheckTrackedFilesPassesThisRepository(t *testing.T) {
	t.Parallel()
	code, out := checkTrackedFiles(t, "..")
	require.Zero(t, code, out)
}

func TestCheckTrackedFilesFailsOnExecutablesAndLargeFiles(t *testing.T) {
	t.Parallel()
	big := bytes.Repeat([]byte("x"), 1<<20+1)
	dir := gitRepo(t, map[string][]byte{
		"README.md":            []byte("ok\n"),
		"tool/tool":            append([]byte("\x7fELF\x02\x01\x01\x00"), make([]byte, 64)...),
		"lib.wasm":             append([]byte("\x00asm\x01\x00\x00\x00"), make([]byte, 8)...),
		"docs/big.json":        big,
		"pkg/testdata/big.txt": big,                               // large test data is allowed
		"pkg/testdata/prog":    []byte("\x7fELF\x02\x01\x01\x00"), // an executable never is
	})
	code, out := checkTrackedFiles(t, dir)
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "tracked build output: tool/tool (ELF executable or object)")
	require.Contains(t, out, "tracked build output: lib.wasm (WebAssembly module)")
	require.Contains(t, out, "tracked build output: pkg/testdata/prog (ELF executable or object)")
	require.Contains(t, out, "tracked file over 1 MiB outside testdata: docs/big.json")
	require.NotContains(t, out, "big.txt")
	require.NotContains(t, out, "README.md")
}

func TestCheckTrackedFilesFailsWhenACommandsOutputIsNotIgnored(t *testing.T) {
	t.Parallel()
	files := map[string][]byte{
		"mod/go.mod":           []byte("module example.com/mod\n"),
		"mod/cmd/tool/main.go": []byte("package main\n\nfunc main() {}\n"),
	}
	code, out := checkTrackedFiles(t, gitRepo(t, files))
	require.Equal(t, 1, code, out)
	require.Contains(t, out, ".gitignore does not ignore mod/tool")

	files[".gitignore"] = []byte("/mod/tool\n")
	code, out = checkTrackedFiles(t, gitRepo(t, files))
	require.Zero(t, code, out)
}

// xk6LintVerdict runs scripts/xk6-lint-verdict.sh on a compact `xk6 lint --json` output.
func xk6LintVerdict(t *testing.T, report string, args ...string) (int, string) {
	t.Helper()
	file := filepath.Join(t.TempDir(), "xk6-lint.json")
	require.NoError(t, os.WriteFile(file, []byte(report), 0o600))
	script, err := filepath.Abs("../scripts/xk6-lint-verdict.sh")
	require.NoError(t, err)
	var out bytes.Buffer
	cmd := exec.CommandContext(t.Context(), script, append([]string{file}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		require.ErrorAs(t, err, &exit, "%s", out.String())
		return exit.ExitCode(), out.String()
	}
	return 0, out.String()
}

func TestXk6LintVerdictRequiresTheNamedChecksAndTheGrade(t *testing.T) {
	t.Parallel()
	// The shape xk6 v0.20.1 writes with --json --compact (details first, then id and passed).
	report := `{"checks":[{"details":"no issues found","id":"security","passed":true},` +
		`{"details":"missing release tags","id":"versions","passed":false},` +
		`{"details":"error: exit status 1 {\"x\"}","id":"smoke","passed":false}],"grade":"C","level":74,"timestamp":1}`

	code, out := xk6LintVerdict(t, report, "C", "security")
	require.Zero(t, code, out)
	require.Contains(t, out, "security       pass  no issues found")
	require.Contains(t, out, "versions       FAIL  missing release tags")

	code, out = xk6LintVerdict(t, report, "C", "security", "smoke")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "the required check 'smoke' did not pass")

	code, out = xk6LintVerdict(t, report, "B", "security")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "grade C is below B")

	code, out = xk6LintVerdict(t, `{"grade":"A"}`, "C")
	require.Equal(t, 1, code, out)
	require.Contains(t, out, "no checks")
}
