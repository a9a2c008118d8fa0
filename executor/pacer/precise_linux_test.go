//go:build linux

package pacer

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

func TestTheLoopsThreadHasATimerSlackOfOneNanosecond(t *testing.T) {
	t.Parallel()
	require.NoError(t, Run(func(Waiter) {
		slack, err := unix.PrctlRetInt(unix.PR_GET_TIMERSLACK, 0, 0, 0, 0)
		assert.NoError(t, err)
		assert.Equal(t, 1, slack)
	}))
}
