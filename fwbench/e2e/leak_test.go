//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// procStats is what the leak test measures of the k6 process.
type procStats struct {
	goroutines int // from k6's pprof endpoint (--profiling-enabled)
	fds        int // entries of /proc/PID/fd
}

func (p procStats) String() string { return fmt.Sprintf("%d goroutines, %d fds", p.goroutines, p.fds) }

// measure reads the goroutine count from k6's pprof endpoint and counts k6's open fds. The
// request's own connection is not kept alive, so it does not stay among the fds.
func measure(t *testing.T, pid int, api string) procStats {
	t.Helper()
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet,
		"http://"+api+"/debug/pprof/goroutine?debug=1", nil)
	require.NoError(t, err)
	resp, err := c.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	n, err := strconv.Atoi(strings.TrimSpace(strings.TrimPrefix(line, "goroutine profile: total")))
	require.NoError(t, err, "first line of the goroutine profile: %q", line)
	ents, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	require.NoError(t, err)
	return procStats{goroutines: n, fds: len(ents)}
}

// TestLeakSessionTurns runs a few thousand chat turns (session turns, async one-shots, one-shots
// whose connection drops mid-stream) in one k6 process kept alive by an idle
// scenario, and checks that k6's goroutines and open fds return to their baseline afterwards.
func TestLeakSessionTurns(t *testing.T) {
	t.Parallel()
	if _, err := os.Stat("/proc/self/fd"); err != nil {
		t.Skip("needs /proc")
	}
	const vus, iters, sessionTurns, async, drops = 4, 15, 50, 5, 2
	healthy := newFaultServer(t, "featherweight", handshake{}, false, nil)
	dropping := newFaultServer(t, "featherweight", handshake{}, false, always(step{tokens: 2, fault: fDrop, want: "closed"}))
	api := fmt.Sprintf("127.0.0.1:%d", freePort(t))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary(t, "FW_K6"), "run", "--quiet", "--no-color", "--log-format", "json",
		"--address", api, "--profiling-enabled", "testdata/faults/leak.js")
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true",
		"FW_URL="+healthy.URL("/api/chat"), "FW_URL_DROP="+dropping.URL("/api/chat"),
		"FW_VUS="+strconv.Itoa(vus), "FW_ITERS="+strconv.Itoa(iters), "FW_SESSION_TURNS="+strconv.Itoa(sessionTurns),
		"FW_ASYNC="+strconv.Itoa(async), "FW_DROPS="+strconv.Itoa(drops), "FW_START=4s", "FW_HOLD=90s")
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 15 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	require.NoError(t, cmd.Start())
	pid := cmd.Process.Pid
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("k6 stdout:\n%s\nstderr:\n%s", tail(stdout.String(), 4000), tail(stderr.String(), 4000))
		}
	})

	// Baseline: k6 is running (the API answers), its VUs are initialised, no turn started yet.
	var base procStats
	require.Eventually(t, func() bool {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "http://"+api+"/v1/status", nil)
		if err != nil {
			return false
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return false
		}
		defer func() { _ = resp.Body.Close() }()
		var st struct {
			Data struct {
				Attributes struct {
					Running bool `json:"running"`
				} `json:"attributes"`
			} `json:"data"`
		}
		return resp.StatusCode == http.StatusOK && json.NewDecoder(resp.Body).Decode(&st) == nil && st.Data.Attributes.Running
	}, 20*time.Second, 100*time.Millisecond, "k6's REST API never reported the test running")
	time.Sleep(time.Second)
	base = measure(t, pid, api)
	require.Empty(t, healthy.Truth(), "the baseline was taken before the first turn")
	t.Logf("baseline: %s", base)

	// A sample while turns run shows the probe sees the activity (logged, not asserted: the turns
	// may all be over between two polls).
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && len(healthy.Truth()) == 0; {
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("while turns run: %s", measure(t, pid, api))

	want := vus * iters * (sessionTurns + async)
	wantDrops := vus * iters * drops
	require.Eventually(t, func() bool {
		_, _, open := healthy.Counts()
		_, _, openDrop := dropping.Counts()
		return len(healthy.Truth()) == want && len(dropping.Truth()) == wantDrops && open == 0 && openDrop == 0
	}, 90*time.Second, 200*time.Millisecond, "all %d turns ran and every connection closed", want+wantDrops)
	t.Logf("%d turns served, %d dropped", want, wantDrops)

	// Give finished turns a moment to unwind, then the process must be back at its baseline
	// (a small slack for k6's own bookkeeping; one leaked goroutine or fd per session, per async
	// turn or per dropped connection would be 60 to 300 over).
	const goroutineSlack, fdSlack = 5, 2
	var after procStats
	ok := assert.Eventually(t, func() bool {
		after = measure(t, pid, api)
		return after.goroutines <= base.goroutines+goroutineSlack && after.fds <= base.fds+fdSlack
	}, 15*time.Second, 500*time.Millisecond)
	t.Logf("after %d turns: %s (baseline %s)", want+wantDrops, after, base)
	if !ok {
		t.Errorf("k6 did not return to its baseline: %s, baseline %s", after, base)
	}
	require.NotContains(t, strings.ToLower(stderr.String()), "panic")
	require.Empty(t, logLines(stderr.String(), "error"), "no uncaught exception")
	require.NotContains(t, stderr.String(), "session turn failed")
	require.NotContains(t, stderr.String(), "chatAsync failed")
	require.NotContains(t, stderr.String(), "drop turn: unexpected")
}
