package harness

import (
	"context"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestReadProcOfThisProcess(t *testing.T) {
	t.Parallel()
	s, err := ReadProc(os.Getpid())
	require.NoError(t, err)
	// CPU time counts in clock ticks (10 ms): work until one has passed (bounded).
	for x, deadline := 1.0, time.Now().Add(5*time.Second); s.CPU == 0 && time.Now().Before(deadline); {
		for range 1_000_000 {
			x = x*1.0000001 + 1
		}
		s, err = ReadProc(os.Getpid())
		require.NoError(t, err)
		require.Positive(t, x)
	}
	require.Positive(t, s.CPU, "a running test has used CPU")
	require.Positive(t, s.RSS)
	require.GreaterOrEqual(t, s.PeakRSS, s.RSS)
	require.Positive(t, s.FDs)
	require.Positive(t, s.Threads)
	require.False(t, s.Finished)

	_, err = ReadProc(1 << 30)
	require.ErrorIs(t, err, ErrNoProcess)
}

func TestSamplerEndsWithTheProcess(t *testing.T) {
	t.Parallel()
	cmd := exec.CommandContext(t.Context(), "sleep", "0.3")
	require.NoError(t, cmd.Start())
	s := SampleProcess(t.Context(), cmd.Process.Pid, 20*time.Millisecond)
	require.NoError(t, cmd.Wait())
	samples := s.Stop()
	require.NotEmpty(t, samples, "at least the first sample, taken at once")
	for i := 1; i < len(samples); i++ {
		require.False(t, samples[i].At.Before(samples[i-1].At))
		require.GreaterOrEqual(t, samples[i].CPU, samples[i-1].CPU, "CPU time never decreases")
	}
}

func TestRunProcessReportsExitCodeAndCPU(t *testing.T) {
	t.Parallel()
	e, err := RunProcess(t.Context(), ProcessOptions{Path: "sh", Args: []string{"-c", "exit 99"}})
	require.NoError(t, err, "a non-zero exit is a result, not an error")
	require.Equal(t, 99, e.Code)

	ctx, cancel := context.WithCancel(t.Context())
	p, err := StartProcess(ctx, ProcessOptions{Path: "sleep", Args: []string{"30"}, StopGrace: 5 * time.Second})
	require.NoError(t, err)
	require.Positive(t, p.PID())
	cancel()
	e, err = p.Wait()
	require.NoError(t, err)
	require.Equal(t, -1, e.Code, "SIGINT ended it")

	_, err = RunProcess(t.Context(), ProcessOptions{Path: "/nonexistent/k6"})
	require.Error(t, err)
}

func TestHostCPUAndLoad(t *testing.T) {
	t.Parallel()
	a, err := ReadHostCPU()
	require.NoError(t, err)
	require.Positive(t, a.Total)
	require.LessOrEqual(t, a.Busy, a.Total)
	require.InDelta(t, -1, a.BusySince(a), 0, "no time passed")
	require.GreaterOrEqual(t, LoadAverage(), 0.0)
}
