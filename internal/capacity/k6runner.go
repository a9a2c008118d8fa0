package capacity

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/featherweight/xk6-featherweight/internal/process"
	"github.com/featherweight/xk6-featherweight/internal/scenario"
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

	env := []string{}
	if _, set := os.LookupEnv("FW_HZ_HOLD_ONLY"); !set {
		// Judge the loop at the step's full users: no Hz readings during the ramps (the script's knob).
		env = append(env, "FW_HZ_HOLD_ONLY=1")
	}
	env = append(env, k.Env...)
	env = append(env, process.K6Env()...)
	env = append(env, "FW_VUS="+strconv.Itoa(users), "FW_RAMP="+k.Ramp, "FW_HOLD="+k.Hold,
		"FW_RAMP_DOWN="+k.RampDown, "FW_OUT_DIR="+dir)
	var stderr bytes.Buffer
	// --address "": no REST API server (its fixed port 6565 clashes with any other k6 on the machine).
	// Cancelled (Ctrl-C, timeout): k6 gets SIGINT and stops gracefully, as it does on Ctrl-C.
	proc := process.Options{
		Path: k.K6, Args: []string{"run", "--no-color", "--quiet", "--address", "", k.Script},
		Env: env, Stdout: log, Stderr: io.MultiWriter(log, &stderr),
	}

	host0, hostErr := process.ReadHostCPU()
	back0 := backendCPU(k.BackendPID)
	exit, runErr := process.Run(ctx, proc)
	host1, _ := process.ReadHostCPU()
	back1 := backendCPU(k.BackendPID)
	wall := exit.Wall

	st := Step{Users: users, Seconds: wall.Seconds(), SummaryAt: summary, K6Exit: exit.Code}
	st.Generator = Generator{HostBusy: -1, CPUs: runtime.NumCPU()}
	if wall > 0 {
		st.Generator.K6Cores = exit.CPU.Seconds() / wall.Seconds()
	}
	if k.BackendPID > 0 && back1 >= back0 && wall > 0 {
		st.Generator.BackendCores = (back1 - back0).Seconds() / wall.Seconds()
	}
	if hostErr == nil {
		st.Generator.HostBusy = host1.BusySince(host0)
	}
	st.Generator.judgeGenerator()

	switch {
	case runErr == nil && (exit.Code == 0 || exit.Code == 99): // 99: thresholds failed, a verdict
	case ctx.Err() != nil:
		return st, ctx.Err()
	case runErr != nil:
		return st, fmt.Errorf("%w: %w", ErrK6, runErr)
	default:
		return st, fmt.Errorf("%w (exit %d; see %s): %s", ErrK6, st.K6Exit, logPath, lastLines(stderr.String(), 5))
	}
	hs, err := scenario.ReadSummaryFile(summary)
	if err != nil {
		return st, fmt.Errorf("%w: no summary from the script "+
			"(it must write FW_OUT_DIR/summary.json in handleSummary): %w", ErrK6, err)
	}
	judged := stepFromSummary(users, hs)
	judged.Seconds, judged.SummaryAt, judged.K6Exit, judged.Generator = st.Seconds, st.SummaryAt, st.K6Exit, st.Generator
	// k6's exit code and the summary's threshold verdicts must agree.
	if judged.Pass != (st.K6Exit == 0) {
		return judged, fmt.Errorf("%w: k6 exited %d but its summary lists %d failed thresholds",
			ErrK6, st.K6Exit, len(judged.Failed))
	}
	return judged, nil
}

// backendCPU is the managed fwsim's CPU time so far (0 when remote or unreadable).
func backendCPU(pid int) time.Duration {
	if pid <= 0 {
		return 0
	}
	cpu, err := process.CPUTime(pid)
	if err != nil {
		return 0
	}
	return cpu
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
