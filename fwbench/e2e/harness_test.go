//go:build e2e

// Package e2e runs the real ./k6 (built by xk6 with this extension) against the real bin/fwsim on
// loopback. `make test-e2e` builds both and passes their paths in FW_K6 and FW_FWSIM.
package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// binary returns the path in env var name; the test fails (never skips) when it is missing, so a
// misconfigured run cannot turn green by testing nothing.
func binary(t *testing.T, name string) string {
	t.Helper()
	p := os.Getenv(name)
	require.NotEmpty(t, p, "%s is not set: run the end-to-end tests with `make test-e2e`", name)
	_, err := os.Stat(p) // #nosec G703 -- a path from the test's own environment (FW_K6, FW_FWSIM)
	require.NoError(t, err, "%s=%s", name, p)
	return p
}

// Fwsim is a running bin/fwsim process.
type Fwsim struct {
	// HTTP is the base URL, e.g. http://127.0.0.1:41234.
	HTTP string
	// WS is the WebSocket base URL, e.g. ws://127.0.0.1:41234.
	WS string
}

// StartFwsim starts bin/fwsim on a free loopback port with the given extra flags and stops it when
// the test ends.
func StartFwsim(t *testing.T, flags ...string) *Fwsim {
	t.Helper()
	args := append([]string{"-addr", "127.0.0.1:0", "-seed", "1"}, flags...)
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binary(t, "FW_FWSIM"), args...) // #nosec G204 -- the fwsim binary under test, named by FW_FWSIM
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 10 * time.Second
	stdout, err := cmd.StdoutPipe()
	require.NoError(t, err)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("fwsim %v stderr:\n%s", args, tail(stderr.String(), 4000))
		}
	})

	lines := bufio.NewScanner(stdout)
	addr := make(chan string, 1)
	go func() {
		for lines.Scan() {
			if rest, ok := strings.CutPrefix(lines.Text(), "fwsim listening on "); ok {
				addr <- strings.TrimSpace(rest)
			}
		}
	}()
	select {
	case base := <-addr:
		f := &Fwsim{HTTP: base, WS: "ws" + strings.TrimPrefix(base, "http")}
		f.waitReady(t)
		return f
	case <-time.After(15 * time.Second):
		t.Fatalf("fwsim %v did not print its address; stderr:\n%s", args, stderr.String())
		return nil
	}
}

// get GETs url within the test's context.
func get(t *testing.T, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	return http.DefaultClient.Do(req)
}

func (f *Fwsim) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := get(t, f.HTTP+"/debug/truth")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("fwsim at %s never answered", f.HTTP)
}

// Truth is fwsim's ground truth (GET /debug/truth).
type Truth struct {
	Connections struct {
		Opened   int64 `json:"opened"`
		Active   int64 `json:"active"`
		Rejected int64 `json:"rejected"`
	} `json:"connections"`
	Turns struct {
		Started       int64            `json:"started"`
		Completed     int64            `json:"completed"`
		Failed        int64            `json:"failed"`
		FailedByCause map[string]int64 `json:"failed_by_cause"`
	} `json:"turns"`
	TokensSent int64 `json:"tokens_sent"`
	Loop       struct {
		Hz    float64 `json:"hz"`
		Ticks int64   `json:"ticks"`
	} `json:"loop"`
}

// Truth fetches the ground truth.
func (f *Fwsim) Truth(t *testing.T) Truth {
	t.Helper()
	resp, err := get(t, f.HTTP+"/debug/truth")
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var tr Truth
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&tr))
	return tr
}

// K6Run is the outcome of one `k6 run`.
type K6Run struct {
	ExitCode int
	Stdout   string
	Stderr   string
	// Samples are the metric samples k6 wrote with --out json.
	Samples []Sample
}

// Sample is one metric point from k6's JSON output.
type Sample struct {
	Metric string
	Value  float64
	Tags   map[string]string
}

// RunK6 runs `k6 run` on script (a path relative to e2e/) with env added to the environment,
// collecting every sample through --out json. Extra k6 flags may follow.
func RunK6(t *testing.T, script string, env map[string]string, flags ...string) K6Run {
	t.Helper()
	dir := t.TempDir()
	out := filepath.Join(dir, "samples.json")
	args := append([]string{"run", "--quiet", "--no-color", "--out", "json=" + out}, flags...)
	args = append(args, script)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, "FW_K6"), args...) // #nosec G204 -- the k6 binary under test, named by FW_K6
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true")
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	run := K6Run{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		run.ExitCode = exit.ExitCode()
	default:
		t.Fatalf("k6 %v: %v", args, err)
	}
	run.Samples = readSamples(t, out)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("k6 %v exit %d\nstdout:\n%s\nstderr:\n%s", args, run.ExitCode, tail(run.Stdout, 6000), tail(run.Stderr, 6000))
		}
	})
	return run
}

func readSamples(t *testing.T, path string) []Sample {
	t.Helper()
	f, err := os.Open(path) // #nosec G304 -- a file the test itself names
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	var samples []Sample
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var line struct {
			Type   string `json:"type"`
			Metric string `json:"metric"`
			Data   struct {
				Value float64           `json:"value"`
				Tags  map[string]string `json:"tags"`
			} `json:"data"`
		}
		require.NoError(t, json.Unmarshal(sc.Bytes(), &line))
		if line.Type == "Point" {
			samples = append(samples, Sample{Metric: line.Metric, Value: line.Data.Value, Tags: line.Data.Tags})
		}
	}
	require.NoError(t, sc.Err())
	return samples
}

// Where selects the samples of metric whose tags include every key=value pair given.
func (r K6Run) Where(metric string, tagPairs ...string) []Sample {
	var out []Sample
next:
	for _, s := range r.Samples {
		if s.Metric != metric {
			continue
		}
		for i := 0; i+1 < len(tagPairs); i += 2 {
			if s.Tags[tagPairs[i]] != tagPairs[i+1] {
				continue next
			}
		}
		out = append(out, s)
	}
	return out
}

// Sum adds the values of the selected samples.
func (r K6Run) Sum(metric string, tagPairs ...string) float64 {
	var sum float64
	for _, s := range r.Where(metric, tagPairs...) {
		sum += s.Value
	}
	return sum
}

// Count is the number of selected samples.
func (r K6Run) Count(metric string, tagPairs ...string) int {
	return len(r.Where(metric, tagPairs...))
}

// Mean is the average value of the selected samples (NaN-free: 0 when there are none).
func (r K6Run) Mean(metric string, tagPairs ...string) float64 {
	n := r.Count(metric, tagPairs...)
	if n == 0 {
		return 0
	}
	return r.Sum(metric, tagPairs...) / float64(n)
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return fmt.Sprintf("...(%d bytes cut)...\n%s", len(s)-n, s[len(s)-n:])
}
