// Command fwplain is the plain Go reference client of `make bench-sidebyside` and `make bench-scale`:
// the streaming-chat load a Go programmer would write with gorilla/websocket and encoding/json,
// run as its own process so that `fwbench sidebyside` can measure it beside the extension's clients.
//
//	fwplain run -url ws://127.0.0.1:PORT/api/chat -users 200 -duration 30s [-ramp 10s] [-turns FILE]
//
// run prints one JSON object (bench.ClientSummary) on stdout. Every flag has an FW_PLAIN_* variable
// (docs/tools.md); exit 0, 2 a bad command line, 1 a run that failed. See docs/BENCHMARKS.md.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
)

func main() {
	os.Exit(run())
}

// run is main's body, so that its deferred stop runs before the process exits with the returned code.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp):
		return exitcode.Pass
	case errors.Is(err, errBadInput):
		printf(os.Stderr, "fwplain: %v\n", err)
		return exitcode.BadInput
	}
	printf(os.Stderr, "fwplain: %v\n", err)
	return exitcode.Error
}

// errBadInput is matched by the errors of a bad command line (exit 2; docs/tools.md).
var errBadInput = errors.New("bad input")

// badInput marks err as a bad command line (flag.ErrHelp stays itself).
func badInput(err error) error {
	if errors.Is(err, flag.ErrHelp) {
		return err
	}
	return fmt.Errorf("%w: %w", errBadInput, err)
}

// printf writes to a terminal; a failed write there has nowhere to be reported.
func printf(w io.Writer, format string, args ...any) { _, _ = fmt.Fprintf(w, format, args...) }

const usage = "usage: fwplain run [flags] (fwplain run -h for the flags)"

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return badInput(errors.New(usage))
	}
	if args[0] == "run" {
		return runCmd(ctx, args[1:], stdout, stderr)
	}
	return badInput(fmt.Errorf("unknown command %q; %s", args[0], usage))
}
