package main

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// measure runs the scenario (its output also in FW_OUT_DIR/run.log) while sampling k6 and the
// managed fwsim every 2 s, then writes their peak RSS (VmHWM) and CPU time to
// FW_OUT_DIR/resources.txt and stdout.
func measure(ctx context.Context, sc scenario, stdout io.Writer) int {
	if err := os.MkdirAll(sc.outDir, 0o750); err != nil {
		printf(stdout, "fwbench run: %v\n", err)
		return 1
	}
	runLog, err := os.Create(filepath.Join(sc.outDir, "run.log")) // #nosec G304 -- the run's output directory
	if err != nil {
		printf(stdout, "fwbench run: %v\n", err)
		return 1
	}
	defer func() { _ = runLog.Close() }()
	out := io.MultiWriter(stdout, runLog)
	sc.k6Stdout, sc.k6Stderr = out, io.MultiWriter(sc.k6Stderr, runLog)
	samplers := map[string]*harness.Sampler{}
	sc.started = func(k6 *harness.Process) { samplers["k6"] = harness.SampleProcess(ctx, k6.PID(), 2*time.Second) }
	sc.simStarted = func(sim *harness.Fwsim) {
		samplers["fwsim"] = harness.SampleProcess(ctx, sim.PID(), 2*time.Second)
	}
	code := sc.run(ctx, out)

	res, err := os.Create(filepath.Join(sc.outDir, "resources.txt")) // #nosec G304 -- the run's output directory
	if err != nil {
		printf(stdout, "fwbench run: %v\n", err)
		return code
	}
	defer func() { _ = res.Close() }()
	w := io.MultiWriter(stdout, res)
	printf(w, "exit code: %d\n", code)
	for _, name := range []string{"k6", "fwsim"} {
		var peak uint64
		var cpu time.Duration
		var wall time.Duration
		if s := samplers[name]; s != nil {
			samples := s.Stop()
			for _, p := range samples {
				peak = max(peak, p.PeakRSS)
			}
			if n := len(samples); n > 0 {
				cpu, wall = samples[n-1].CPU, samples[n-1].At.Sub(samples[0].At)
			}
		}
		share := 0.0
		if wall > 0 {
			share = cpu.Seconds() / wall.Seconds() * 100
		}
		printf(w, "%-6s peak RSS %6d MiB   CPU %7.1f s over ~%d s wall (%.0f%% of one core)\n",
			name, peak>>20, cpu.Seconds(), int(wall.Seconds()), share)
	}
	return code
}
