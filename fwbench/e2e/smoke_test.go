//go:build e2e

package e2e

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSmokeScript runs test/smoke.test.js (the smoke test `xk6 lint` looks for) with no server:
// every check passes, so the module loads, validates its options and fails a refused connect cleanly.
func TestSmokeScript(t *testing.T) {
	t.Parallel()
	run := RunK6(t, "../../test/smoke.test.js", nil)
	require.Equal(t, 0, run.ExitCode, "checks rate==1")
	require.Positive(t, run.Count("checks"))
	for _, s := range run.Where("checks") {
		require.InDelta(t, 1.0, s.Value, 0, "check %q failed", s.Tags["check"])
	}
	// chat() and connect() on the closed port; the calls that threw never dialled.
	require.InDelta(t, 2, run.Sum("fw_chat_errors", "error_kind", "connect"), 0)
}
