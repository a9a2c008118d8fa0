// Package cli is `k6 x featherweight`: the pipeline tools of the bundled scenario as subcommands of
// any k6 built with the extension. capacity searches for the users a backend holds, compare judges a
// run against a baseline, verdict judges a distributed run from Prometheus. The root register.go
// registers New with k6 (go.k6.io/k6/subcommand).
//
// Each subcommand keeps the flags of the command it replaced (fwcapacity, fwcompare, fwverdict):
// Go-style flags (-base, -new), each with an FW_* environment variable (internal/knob), and the exit
// codes of internal/exitcode.
package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"go.k6.io/k6/cmd/state"
	"go.k6.io/k6/errext/exitcodes"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// Name is the subcommand's name: k6 x featherweight.
const Name = "featherweight"

// runFunc is one subcommand without k6: its arguments, environment and output; it returns the exit code.
type runFunc func(ctx context.Context, args []string, env knob.LookupEnv, stdout, stderr io.Writer) int

// New returns the `featherweight` command for k6 (a subcommand.Constructor). gs is read-only.
func New(gs *state.GlobalState) *cobra.Command {
	root := &cobra.Command{
		Use:   Name,
		Short: "Pipeline tools of the featherweight extension: capacity, compare, verdict",
		Long: "Pipeline tools of the featherweight extension's bundled scenario (examples/featherweight-load.js):\n" +
			"  capacity  the largest number of users a backend holds, and the threshold that breaks first\n" +
			"  compare   judge a run's summary.json against a baseline's\n" +
			"  verdict   judge a distributed run from the samples its runners wrote to Prometheus\n" +
			"Run `k6 x featherweight <command> -h` for a command's flags (docs/tools.md).",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetOut(gs.Stdout)
	root.SetErr(gs.Stderr)
	root.AddCommand(
		subcommand(gs, "capacity", "Search for the users a backend holds within the scenario's thresholds", runCapacity),
		subcommand(gs, "compare", "Compare runs' summary.json and fail on a regression", withoutContext(runCompare)),
		subcommand(gs, "verdict", "Judge a distributed run from Prometheus with the scenario's thresholds", runVerdict),
	)
	return root
}

// subcommand adapts run to cobra. Its flags are Go-style (-base as well as --base), parsed by run
// itself: cobra's are not, so that every flag of the replaced command keeps working.
func subcommand(gs *state.GlobalState, name, short string, run runFunc) *cobra.Command {
	return &cobra.Command{
		Use:                name + " [flags]",
		Short:              short,
		DisableFlagParsing: true,
		SilenceUsage:       true,
		SilenceErrors:      true,
		RunE: func(cmd *cobra.Command, args []string) error {
			base := cmd.Context()
			if base == nil {
				base = gs.Ctx
			}
			ctx, stop := signal.NotifyContext(base, os.Interrupt, syscall.SIGTERM)
			defer stop()
			code := run(ctx, args, knob.MapEnv(gs.Env), gs.Stdout, gs.Stderr)
			if code == exitcode.Pass {
				return nil
			}
			return &exitError{command: name, code: code}
		},
	}
}

// withoutContext adapts a run that needs no context.
func withoutContext(run func([]string, knob.LookupEnv, io.Writer, io.Writer) int) runFunc {
	return func(_ context.Context, args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
		return run(args, env, stdout, stderr)
	}
}

// exitError ends k6 with a subcommand's exit code (k6 exits with the code of an error that has one).
type exitError struct {
	command string
	code    int
}

func (e *exitError) Error() string {
	return fmt.Sprintf("featherweight %s: exit %d (%s)", e.command, e.code, exitcode.Meaning(e.code))
}

// ExitCode implements k6's errext.HasExitCode.
func (e *exitError) ExitCode() exitcodes.ExitCode {
	return exitcodes.ExitCode(e.code) // #nosec G115 -- the codes of internal/exitcode, all below 256
}
