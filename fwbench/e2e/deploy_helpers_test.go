//go:build e2e

package e2e

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// K6Options describe one `k6 run` (FW_K6) of a test.
type K6Options struct {
	// Script is the script's path relative to e2e/.
	Script string
	// Env is added to the environment.
	Env map[string]string
	// Flags are extra k6 flags, e.g. -o experimental-prometheus-rw or --execution-segment.
	Flags []string
	// OutDir receives the samples (--out json=OutDir/samples.json) and, through FW_OUT_DIR, the
	// bundled scenario's summary.json and report. Default: a new temporary directory, FW_OUT_DIR unset.
	OutDir string
	// NoSamples leaves out --out json: at thousands of iterations a second, writing every sample
	// loads k6 itself (the K6Run then has no Samples).
	NoSamples bool
}

// K6Process is a `k6 run` started by StartK6; Wait collects its outcome.
type K6Process struct {
	args           []string
	outDir         string
	samples        string
	proc           *harness.Process
	cancel         context.CancelFunc
	stdout, stderr *syncBuffer
}

// StartK6 starts `k6 run --quiet --no-color --out json=...` in the background, bounded to 5
// minutes; several may run at once (execution segments). Wait for each from the test's goroutine.
func StartK6(t *testing.T, o K6Options) *K6Process {
	t.Helper()
	dir := o.OutDir
	env := harness.K6Env()
	if dir == "" {
		dir = t.TempDir()
	} else {
		require.NoError(t, os.MkdirAll(dir, 0o750))
		env = append(env, "FW_OUT_DIR="+dir)
	}
	p := &K6Process{outDir: dir, samples: filepath.Join(dir, "samples.json"), stdout: &syncBuffer{}, stderr: &syncBuffer{}}
	p.args = []string{"run", "--quiet", "--no-color", "--out", "json=" + p.samples}
	if o.NoSamples {
		p.args, p.samples = p.args[:3], ""
	}
	p.args = append(p.args, o.Flags...)
	p.args = append(p.args, o.Script)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	t.Cleanup(cancel)
	proc, err := harness.StartProcess(ctx, harness.ProcessOptions{
		Path: binary(t, "FW_K6"), Args: p.args, Env: append(env, envList(o.Env)...),
		Stdout: p.stdout, Stderr: p.stderr, StopGrace: 30 * time.Second,
	})
	require.NoError(t, err, "k6 %v", p.args)
	p.proc, p.cancel = proc, cancel
	return p
}

// Wait waits for k6 to exit and returns its outcome with the samples it wrote (its output is
// logged when the test failed).
func (p *K6Process) Wait(t *testing.T) K6Run {
	t.Helper()
	exit, err := p.proc.Wait()
	p.cancel()
	require.NoError(t, err, "k6 %v", p.args)
	run := K6Run{ExitCode: exit.Code, Stdout: p.stdout.String(), Stderr: p.stderr.String(), OutDir: p.outDir}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("k6 %v exit %d\nstdout:\n%s\nstderr:\n%s", p.args, run.ExitCode, tail(run.Stdout, 6000), tail(run.Stderr, 6000))
		}
	})
	if _, err := os.Stat(p.samples); p.samples != "" && err == nil {
		samples, err := harness.ReadSamplesFile(p.samples)
		require.NoError(t, err)
		run.Samples = samples
	}
	return run
}

// Output is k6's stdout and stderr, for failure messages.
func (r K6Run) Output() string { return r.Stdout + r.Stderr }

// HostPort is fwsim's listen address as Prometheus's instance label names it, e.g. 127.0.0.1:41234.
func (f *Fwsim) HostPort() string { return strings.TrimPrefix(f.HTTP, "http://") }
