package process

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestParseHostCPUSumsBusyAndIdleTicks(t *testing.T) {
	t.Parallel()
	h, err := parseHostCPU("  100 20 30 800 50 1 2 3 7 0")
	require.NoError(t, err)
	require.Equal(t, 1560*time.Millisecond, h.Busy, "user+nice+system+irq+softirq+steal = 156 ticks")
	require.Equal(t, 10060*time.Millisecond, h.Total, "plus idle+iowait = 1006 ticks")
	later := HostCPU{Busy: h.Busy + time.Second, Total: h.Total + 4*time.Second}
	require.InDelta(t, 0.25, later.BusySince(h), 1e-12)
	require.InDelta(t, -1, h.BusySince(later), 0, "no time passed")
	_, err = parseHostCPU("1 2 3")
	require.Error(t, err)
	_, err = parseHostCPU("1 2 3 x 5 6 7 8")
	require.Error(t, err)
}

func TestParseCPUTimeCountsAfterTheCommandName(t *testing.T) {
	t.Parallel()
	stat := "4242 (k6 x (odd) name) S 1 4242 4242 0 -1 4194304 100 0 0 0 250 75 0 0 20 0 12 0 9 0 0"
	d, err := parseCPUTime([]byte(stat))
	require.NoError(t, err)
	require.Equal(t, 3250*time.Millisecond, d, "utime 250 + stime 75 ticks")
	_, err = parseCPUTime([]byte("4242 k6 S 1"))
	require.Error(t, err)
}

func TestReadsThisMachineAndThisProcess(t *testing.T) {
	t.Parallel()
	h, err := ReadHostCPU()
	if runtime.GOOS != "linux" {
		require.Error(t, err, "no /proc: the tools report the CPU figures as unknown")
		return
	}
	require.NoError(t, err)
	require.Greater(t, h.Total, h.Busy)
	_, err = CPUTime(os.Getpid())
	require.NoError(t, err)
}
