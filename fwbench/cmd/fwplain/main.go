// Command fwplain is the plain Go reference client of `make bench-sidebyside` and `make bench-scale`:
// the streaming-chat load a Go programmer would write with gorilla/websocket and encoding/json,
// run as its own process so that `fwbench sidebyside` can measure it beside the extension's clients.
//
//	fwplain run -url ws://127.0.0.1:PORT/api/chat -users 200 -duration 30s [-ramp 10s] [-turns FILE]
//
// run prints one JSON object (bench.ClientSummary) on stdout. See docs/BENCHMARKS.md.
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
)

func main() {
	os.Exit(run())
}

// run is main's body, so that its deferred stop runs before the process exits with the returned code.
func run() int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		_, _ = fmt.Fprintln(os.Stderr, "fwplain:", err)
		return 2
	}
	return 0
}

const usage = "usage: fwplain run [flags] (fwplain run -h for the flags)"

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	if args[0] == "run" {
		return runCmd(ctx, args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}
