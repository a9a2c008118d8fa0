package capacity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// K6Runner runs one step as `k6 run SCRIPT` with the step's users in FW_VUS and the summary
// written by the script's handleSummary into FW_OUT_DIR (the bundled scenario does both).
type K6Runner struct {
	K6     string // path of the k6 binary built with the extension
	Script string // the scenario, examples/featherweight-load.js
	OutDir string // each step writes OutDir/step-<users>/summary.json and k6.log
	// Ramp, Hold and RampDown go to FW_RAMP, FW_HOLD and FW_RAMP_DOWN (k6 durations, e.g. "10s").
	Ramp, Hold, RampDown string
	// Env is added to the inherited environment (FW_CHAT_URL, FW_THINK, ...).
	Env []string
	// BackendPID is the managed fwsim's process id, for its CPU use (0 = remote backend).
	BackendPID int

	runs map[int]int // runs so far per user count: a re-run writes step-<users>-run<n>
}

// ErrK6 is matched by errors of k6 runs that did not end with a threshold verdict.
var ErrK6 = errors.New("k6 run failed")

// RunStep implements Runner.
func (k *K6Runner) RunStep(ctx context.Context, users int) (Step, error) {
	dir := k.stepDir(users)
	// #nosec G301 -- the user's output directory (-out): the step's summary and log are for them to read
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Step{}, err
	}
	summary := filepath.Join(dir, "summary.json")
	_ = os.Remove(summary) // never judge a step by an earlier run's summary
	logPath := filepath.Join(dir, "k6.log")
	log, err := os.Create(logPath) // #nosec G304 -- k6.log in the step's directory under the user's -out
	if err != nil {
		return Step{}, err
	}
	// Closed after k6 has exited; a failed close of a log meant for a person has no effect on the verdict.
	defer func() { _ = log.Close() }()

	// --address "": no REST API server (its fixed port 6565 clashes with any other k6 on the machine).
	// #nosec G204 -- running the k6 binary and script the user names (FW_K6, FW_SCRIPT) is the tool's purpose
	cmd := exec.CommandContext(ctx, k.K6, "run", "--no-color", "--quiet", "--address", "", k.Script)
	cmd.Env = os.Environ()
	if _, set := os.LookupEnv("FW_HZ_HOLD_ONLY"); !set {
		// Judge the loop at the step's full users: no Hz readings during the ramps (the script's knob).
		cmd.Env = append(cmd.Env, "FW_HZ_HOLD_ONLY=1")
	}
	cmd.Env = append(cmd.Env, k.Env...)
	cmd.Env = append(cmd.Env, "K6_NO_USAGE_REPORT=true",
		"FW_VUS="+strconv.Itoa(users), "FW_RAMP="+k.Ramp, "FW_HOLD="+k.Hold, "FW_RAMP_DOWN="+k.RampDown,
		"FW_OUT_DIR="+dir)
	// Cancelled (Ctrl-C, timeout): let k6 stop gracefully first, as it does on SIGINT.
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 40 * time.Second
	var stderr bytes.Buffer
	cmd.Stdout = log
	cmd.Stderr = io.MultiWriter(log, &stderr)

	host0, hostOK := readHostCPU()
	back0 := procCPU(k.BackendPID)
	start := time.Now()
	runErr := cmd.Run()
	wall := time.Since(start)
	host1, _ := readHostCPU()
	back1 := procCPU(k.BackendPID)

	st := Step{Users: users, Seconds: wall.Seconds(), SummaryAt: summary}
	st.Generator = Generator{HostBusy: -1, CPUs: runtime.NumCPU()}
	if ps := cmd.ProcessState; ps != nil {
		st.Generator.K6Cores = (ps.UserTime() + ps.SystemTime()).Seconds() / wall.Seconds()
		st.K6Exit = ps.ExitCode()
	}
	if k.BackendPID > 0 && back1 >= back0 {
		st.Generator.BackendCores = (back1 - back0).Seconds() / wall.Seconds()
	}
	if hostOK {
		st.Generator.HostBusy = host1.busySince(host0)
	}
	st.Generator.judgeGenerator()

	var exit *exec.ExitError
	switch {
	case runErr == nil:
	case errors.As(runErr, &exit) && exitCode(exit) == 99: // thresholds failed: a verdict
	case ctx.Err() != nil:
		return st, ctx.Err()
	default:
		return st, fmt.Errorf("%w (exit %d; see %s): %s", ErrK6, st.K6Exit, logPath, lastLines(stderr.String(), 5))
	}
	s, err := ReadSummary(summary)
	if err != nil {
		return st, fmt.Errorf("%w: no summary from the script "+
			"(it must write FW_OUT_DIR/summary.json in handleSummary): %w", ErrK6, err)
	}
	judged := stepFromSummary(users, s)
	judged.Seconds, judged.SummaryAt, judged.K6Exit, judged.Generator = st.Seconds, st.SummaryAt, st.K6Exit, st.Generator
	// k6's exit code and the summary's threshold verdicts must agree.
	if judged.Pass != (st.K6Exit == 0) {
		return judged, fmt.Errorf("%w: k6 exited %d but its summary lists %d failed thresholds",
			ErrK6, st.K6Exit, len(judged.Failed))
	}
	return judged, nil
}

func exitCode(e *exec.ExitError) int {
	if ws, ok := e.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return -1
	}
	return e.ExitCode()
}

// lastLines returns the last n non-empty lines of s, joined by " | ".
func lastLines(s string, n int) string {
	var out []string
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0 && len(out) < n; i-- {
		if l := strings.TrimSpace(lines[i]); l != "" {
			out = append([]string{l}, out...)
		}
	}
	return strings.Join(out, " | ")
}
