// Command fwbench runs the bundled scenario and the benchmarks on the harness (package harness):
//
//	fwbench run        the bundled scenario against its own fwsim (make run, make smoke)
//	fwbench sidebyside native client vs k6/websockets vs plain Go, same fwsim (make bench-sidebyside;
//	                   `fwbench compare`, deprecated, is the same)
//	fwbench scale      concurrent streams one machine holds (make bench WHAT=scale)
//	fwbench soak       the bundled scenario with a long hold, k6 sampled for growth (make soak)
//	fwbench table DIR… the markdown table of benchmark run directories
//
// Every knob is a flag with an FW_* environment variable (internal/knob: a flag given wins over its
// variable, the variable over the default; `fwbench CMD -h` lists them), so the Makefile and a shell
// set them alike; the bundled scenario's own FW_* variables pass through to k6. Run from the
// repository root. Exit codes: docs/tools.md (run and soak exit with k6's code). See docs/BENCHMARKS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: fwbench run|sidebyside|scale|soak|table [args] (see docs/BENCHMARKS.md)"

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = fmt.Fprintln(stderr, usage)
		return exitcode.BadInput
	}
	// SIGINT from a terminal reaches k6 and fwsim too (one process group): fwbench outlives it to stop
	// fwsim and report. SIGTERM is passed on to k6 as SIGINT (the context's cancellation).
	// A benchmark starts no further run after either.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	quit, stopQuit := signal.NotifyContext(ctx, syscall.SIGINT)
	defer stopQuit()
	env := knob.OSEnv()
	if err := refuseRenamed(env); err != nil && args[0] != "table" {
		printf(stderr, "fwbench: %v\n", err)
		return exitcode.BadInput
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], env, stdout, stderr)
	case "sidebyside":
		return benchCmd(ctx, quit, sideBySideBench(), args[1:], env, stdout, stderr)
	case "compare":
		printf(stderr, "fwbench: `fwbench compare` is deprecated: `fwbench sidebyside` (the regression check is "+
			"`k6 x featherweight compare`)\n")
		return benchCmd(ctx, quit, sideBySideBench(), args[1:], env, stdout, stderr)
	case "scale":
		return benchCmd(ctx, quit, scaleBench(), args[1:], env, stdout, stderr)
	case "soak":
		return soakCmd(ctx, args[1:], env, stdout, stderr)
	case "table":
		return tableCmd(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		_, _ = fmt.Fprintln(stdout, usage)
		return 0
	}
	_, _ = fmt.Fprintf(stderr, "fwbench: unknown command %q; %s\n", args[0], usage)
	return exitcode.BadInput
}

// renamed maps the variables fwbench read before every knob was an FW_* flag to their new names.
func renamed() map[string]string {
	return map[string]string{
		"K6": "FW_K6", "FWSIM": "FW_FWSIM", "FWSIM_FLAGS": "FW_FWSIM_FLAGS", "K6_FLAGS": "FW_K6_FLAGS",
		"FWPLAIN": "FW_FWPLAIN", "FW_SOAK_RAMP_S": "FW_SOAK_RAMP (a Go duration)", "SCALE_VUS": "FW_BENCH_SCALE_VUS",
		"BENCH_QUICK": "FW_BENCH_QUICK", "BENCH_PROFILE": "FW_BENCH_PROFILE", "BENCH_OUT": "FW_BENCH_OUT",
		"BENCH_WORKLOADS": "FW_BENCH_WORKLOADS", "BENCH_CLIENTS": "FW_BENCH_CLIENTS", "BENCH_USERS": "FW_BENCH_USERS",
		"BENCH_STREAMS": "FW_BENCH_STREAMS", "BENCH_DURATION": "FW_BENCH_DURATION", "BENCH_SETTLE": "FW_BENCH_SETTLE",
		"BENCH_RAMP": "FW_BENCH_RAMP", "FW_SOAK_HOLD": "FW_HOLD",
	}
}

// refuseRenamed names a variable of the old names that is set: ignoring it would run with a setting
// the user did not ask for.
func refuseRenamed(env knob.LookupEnv) error {
	names := renamed()
	old := make([]string, 0, len(names))
	for k := range names {
		old = append(old, k)
	}
	slices.Sort(old)
	for _, k := range old {
		if v, ok := env(k); ok && v != "" {
			return fmt.Errorf("%s is set: it was renamed %s (CHANGELOG.md)", k, names[k])
		}
	}
	return nil
}

// parseKnobs parses a command's flags; done is true when the command ends here (help: exit 0; a bad
// flag or FW_* value: exit 2).
func parseKnobs(fs *knob.FlagSet, args []string, stderr io.Writer, name, text string) (code int, done bool) {
	fs.Usage = func() {
		printf(stderr, "usage: fwbench %s [flags]\n  %s\n  %s\nflags:\n", name, text, knob.Rule)
		fs.PrintDefaults()
	}
	err := fs.Parse(args)
	switch {
	case err == nil && fs.NArg() == 0:
		return 0, false
	case err == nil:
		printf(stderr, "fwbench %s: unexpected arguments %q\n", name, fs.Args())
	case errors.Is(err, flag.ErrHelp):
		return exitcode.Pass, true
	case errors.Is(err, knob.ErrEnv):
		printf(stderr, "fwbench %s: %v\n", name, err)
	}
	return exitcode.BadInput, true
}

// env is the variable's value, or dflt when it is unset or empty (the k6 dashboard's K6_* settings,
// the scenario's FW_* passthrough).
func env(name, dflt string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return dflt
}

// printf writes a line of output; a failed write to the terminal has nowhere to be reported.
func printf(w io.Writer, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}
