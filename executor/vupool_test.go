package executor

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"go.k6.io/k6/errext"
	"go.k6.io/k6/errext/exitcodes"
)

func TestRunFailsWithAGoPanicExitCodeWhenAnIterationPanics(t *testing.T) {
	t.Parallel()
	c := poissonConfig(t, `{"rate":100,"duration":"30s","preAllocatedVUs":5,"seed":1}`)
	var calls atomic.Int64
	h, ex := newHarness(t, c, func(context.Context) error {
		if calls.Add(1) == 3 {
			panic("boom in an iteration")
		}
		return nil
	})
	err := h.run(t, ex)
	require.Error(t, err, "a panic in a VU's iteration fails the run")
	require.ErrorContains(t, err, "a VU iteration panicked: boom in an iteration")
	var coded errext.HasExitCode
	require.ErrorAs(t, err, &coded)
	require.Equal(t, exitcodes.GoPanic, coded.ExitCode(), "k6 exits as for a Go panic")
	require.Less(t, h.es.GetFullIterationCount(), uint64(100*30/2), "the 30 s scenario stopped early")
	require.Positive(t, h.es.GetPartialIterationCount(), "the panicked iteration counts as interrupted")
	require.Zero(t, h.es.GetCurrentlyActiveVUsCount(), "the panicked iteration left the active-VU count")
}

func TestRunOnceReturnsAPanicAsAnError(t *testing.T) {
	t.Parallel()
	err := runOnce(panickingVU{})
	pe, ok := errors.AsType[*panicError](err)
	require.True(t, ok, "%T", err)
	require.Equal(t, 42, pe.value)
	require.Contains(t, string(pe.stack), "panickingVU.RunOnce", "the stack names the panicking frame")
}

type panickingVU struct{}

func (panickingVU) RunOnce() error { panic(42) }
