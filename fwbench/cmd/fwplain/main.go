// Command fwplain is the plain Go reference client of `make bench-compare`: the streaming-chat load
// a Go programmer would write with gorilla/websocket and encoding/json, and the report that puts it
// side by side with the extension's native client and a k6/websockets script.
//
//	fwplain run    -url ws://127.0.0.1:PORT/api/chat -users 200 -duration 30s [-turns FILE]
//	fwplain report -dir RUNDIR            (one run: joins fwsim's /debug/turns, /proc samples, client figures)
//	fwplain table  RUNDIR...              (the markdown table of every run, with ratios)
//
// run prints one JSON object (ClientSummary) on stdout; report writes RUNDIR/result.json; table
// prints markdown. See docs/BENCHMARKS.md and scripts/bench-compare.sh.
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

const usage = "usage: fwplain run|report|table [flags] (fwplain CMD -h for the flags)"

func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New(usage)
	}
	switch args[0] {
	case "run":
		return runCmd(ctx, args[1:], stdout, stderr)
	case "report":
		return reportCmd(args[1:], stderr)
	case "table":
		return tableCmd(args[1:], stdout, stderr)
	}
	return fmt.Errorf("unknown command %q; %s", args[0], usage)
}
