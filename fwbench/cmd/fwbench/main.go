// Command fwbench runs the bundled scenario and the benchmarks on the harness (package harness):
//
//	fwbench run        the bundled scenario against its own fwsim (make run, make smoke)
//	fwbench sidebyside native client vs k6/websockets vs plain Go, same fwsim (make bench-sidebyside;
//	                   `fwbench compare`, deprecated, is the same)
//	fwbench scale      concurrent streams one machine holds (make bench WHAT=scale)
//	fwbench soak       the bundled scenario with a long hold, k6 sampled for growth (make soak)
//	fwbench table DIR… the markdown table of benchmark run directories
//
// Every knob is an environment variable (FW_* of the bundled scenario, BENCH_*, FW_SOAK_*), so the
// Makefile and a shell set them alike. Run from the repository root. See docs/BENCHMARKS.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: fwbench run|sidebyside|scale|soak|table [args] (see docs/BENCHMARKS.md)"

func dispatch(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		_, _ = fmt.Fprintln(stderr, usage)
		return 2
	}
	// SIGINT from a terminal reaches k6 and fwsim too (one process group): fwbench outlives it to stop
	// fwsim and report. SIGTERM is passed on to k6 as SIGINT (the context's cancellation).
	// A benchmark starts no further run after either.
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
	defer stop()
	quit, stopQuit := signal.NotifyContext(ctx, syscall.SIGINT)
	defer stopQuit()
	switch args[0] {
	case "run":
		return runCmd(ctx, stdout, stderr)
	case "sidebyside":
		return benchCmd(ctx, quit, sideBySideBench(), stdout, stderr)
	case "compare":
		printf(stderr, "fwbench: `fwbench compare` is deprecated: `fwbench sidebyside` (the regression check is "+
			"`k6 x featherweight compare`)\n")
		return benchCmd(ctx, quit, sideBySideBench(), stdout, stderr)
	case "scale":
		return benchCmd(ctx, quit, scaleBench(), stdout, stderr)
	case "soak":
		return soakCmd(ctx, stdout, stderr)
	case "table":
		return tableCmd(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		_, _ = fmt.Fprintln(stdout, usage)
		return 0
	}
	_, _ = fmt.Fprintf(stderr, "fwbench: unknown command %q; %s\n", args[0], usage)
	return 2
}

// env is the variable's value, or dflt when it is unset or empty.
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
