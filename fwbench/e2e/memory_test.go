//go:build e2e

package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// longTurnScript runs one chat turn against URL with params ITL (itl mode, optional) and prints
// the result's token and gap counts.
const longTurnScript = `
import fw from 'k6/x/featherweight';
export const options = { vus: 1, iterations: 1 };
export default function () {
  const p = { timeouts: { total: '60s' } };
  if (__ENV.ITL) p.itl = __ENV.ITL;
  const r = fw.chat(__ENV.URL, 'long', p);
  console.log('RESULT ok=' + r.ok + ' tokens=' + r.tokens + ' gaps=' + r.itl.count);
}
`

// peakRSS runs the script with k6 (no outputs) and returns k6's peak RSS in MB and its log.
func peakRSS(t *testing.T, script string, env ...string) (float64, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, "FW_K6"), "run", "--quiet", "--no-color", "--address", "", script)
	cmd.Env = append(append(os.Environ(), "K6_NO_USAGE_REPORT=true"), env...)
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	require.True(t, ok)
	return float64(ru.Maxrss) / 1024, string(out) // Maxrss is in KiB on Linux
}

// TestLongTurnMemory: a 1,000,000-token turn adds less than 40 MB to k6's peak RSS (it added
// about 110 MB when every gap was kept and sampled at the end), in both ITL
// modes, compared with the same run of a 1-token turn.
func TestLongTurnMemory(t *testing.T) {
	t.Parallel() // asserts counts, not timing: runs with the other parallel tests after the sequential ones
	const tokens = 1_000_000
	fast := []string{"-itl", "0", "-ttft", "0", "-jitter", "0"}
	short := StartFwsim(t, append([]string{"-tokens", "1"}, fast...)...)
	long := StartFwsim(t, append([]string{"-tokens", "1000000"}, fast...)...)
	script := filepath.Join(t.TempDir(), "long.js")
	require.NoError(t, os.WriteFile(script, []byte(longTurnScript), 0o600))

	base, out := peakRSS(t, script, "URL="+short.WS+"/api/chat")
	require.Contains(t, out, "RESULT ok=true tokens=1 gaps=0")
	for _, mode := range []string{"gaps", "summary"} {
		start := time.Now()
		rss, out := peakRSS(t, script, "URL="+long.WS+"/api/chat", "ITL="+mode)
		require.Contains(t, out, "RESULT ok=true tokens=1000000 gaps=999999", mode)
		t.Logf("itl %s: %d tokens in %s, k6 peak RSS %.1f MB, %.1f MB over the 1-token run (%.1f MB)",
			mode, tokens, time.Since(start).Round(time.Millisecond), rss, rss-base, base)
		require.Less(t, rss-base, 40.0, "itl %s: peak RSS growth of one %d-token turn", mode, tokens)
		require.False(t, strings.Contains(out, "panic"), out)
	}
}
