package cli

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"
	"go.k6.io/k6/cmd/tests"
	"go.k6.io/k6/errext"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
)

// execute runs `k6 x featherweight ARGS` as k6 does: the command New gives k6, on a test GlobalState.
func execute(t *testing.T, env map[string]string, args ...string) (*tests.GlobalTestState, error) {
	t.Helper()
	gs := tests.NewGlobalTestState(t)
	gs.Env = env
	cmd := New(gs.GlobalState)
	cmd.SetArgs(args)
	return gs, cmd.ExecuteContext(context.Background())
}

// exitCodeOf is the code k6 exits with for err (errext.HasExitCode), 0 for none.
func exitCodeOf(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ec errext.HasExitCode
	require.True(t, errors.As(err, &ec), "k6 would exit -1 for an error without a code: %v", err)
	return int(ec.ExitCode())
}

func TestSubcommandsReachK6WithTheirExitCodes(t *testing.T) {
	t.Parallel()
	slow := variant(t, slowTTFT)
	gs, err := execute(t, nil, "compare", fixture, fixture)
	require.NoError(t, err)
	require.Contains(t, gs.Stdout.String(), "no regression")

	gs, err = execute(t, nil, "compare", "-base", fixture, "--new", slow)
	require.Equal(t, exitcode.Failed, exitCodeOf(t, err), "a regression is judged failed, as k6's 99")
	require.Contains(t, gs.Stdout.String(), "REGRESSION in 1 figure(s)")
	require.ErrorContains(t, err, "featherweight compare: exit 99 (judged failed)")

	gs, err = execute(t, map[string]string{"FW_COMPARE_LATENCY": "600%"}, "compare", fixture, slow)
	require.NoError(t, err, "the environment reaches the subcommand: %s", gs.Stderr.String())

	gs, err = execute(t, nil, "compare", fixture, "cli.go")
	require.Equal(t, exitcode.BadInput, exitCodeOf(t, err))
	require.Contains(t, gs.Stderr.String(), "not a k6 summary")

	_, err = execute(t, nil, "verdict")
	require.Equal(t, exitcode.BadInput, exitCodeOf(t, err))

	gs, err = execute(t, nil, "capacity", "-h")
	require.NoError(t, err)
	require.Contains(t, gs.Stderr.String(), "usage: k6 x featherweight capacity")
}

func TestTheRootListsItsCommands(t *testing.T) {
	t.Parallel()
	gs, err := execute(t, nil, "--help")
	require.NoError(t, err)
	for _, name := range []string{"capacity", "compare", "verdict"} {
		require.Contains(t, gs.Stdout.String(), name)
	}
}
