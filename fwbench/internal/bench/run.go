package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
)

// Settings describe a benchmark: every client at every user count of every workload, one run each.
type Settings struct {
	Out       string        // run directories go to Out/<workload>-<users>-<client>
	Duration  time.Duration // how long users start new turns (whole seconds)
	Workloads []string      // fast, slow or stream (see WorkloadFlags)
	Users     []int         // users (sidebyside) or streams (scale)
	Clients   []string      // native, websockets, promise, session or plain
	K6        string        // ./k6
	Fwplain   string        // bin/fwplain
	Fwsim     string        // bin/fwsim
	Settle    time.Duration // pause before each run, so the previous run's sockets wind down
	Ramp      time.Duration // scale clients (promise, session) start their streams over it
	PlainRamp bool          // the plain client ramps over Ramp too (scale)
	Profile   bool          // k6 runs with --profiling-enabled; CPU and heap profiles half way through
	ScaleVUs  int           // VUs of examples/bench/scale.js
	Log       io.Writer     // progress lines
}

// WorkloadFlags are fwsim's flags for a workload.
func WorkloadFlags(workload string) ([]string, error) {
	switch workload {
	case "fast":
		return []string{"-ttft", "20ms", "-itl", "5ms", "-tokens", "100"}, nil
	case "slow":
		return []string{"-ttft", "300ms", "-itl", "20ms", "-tokens", "50"}, nil
	case "stream": // 4 tokens/s, a 10 s turn: the scale workload
		return []string{"-ttft", "300ms", "-itl", "250ms", "-tokens", "40"}, nil
	}
	return nil, fmt.Errorf("unknown workload %q (want fast, slow or stream)", workload)
}

// errClient is matched by the error of a client name no benchmark knows.
var errClient = errors.New("unknown client (want native, websockets, promise, session or plain)")

// Check refuses settings that cannot run: unknown workloads or clients, missing binaries.
func (s Settings) Check() error {
	for _, w := range s.Workloads {
		if _, err := WorkloadFlags(w); err != nil {
			return err
		}
	}
	for _, c := range s.Clients {
		if clientName(c) == "" {
			return fmt.Errorf("%w: %q", errClient, c)
		}
	}
	for _, b := range []string{s.K6, s.Fwplain, s.Fwsim} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s is missing (make bench-sidebyside builds ./k6, bin/fwsim and bin/fwplain): %w", b, err)
		}
	}
	if s.Duration < time.Second || s.Duration%time.Second != 0 {
		return fmt.Errorf("-duration (FW_BENCH_DURATION) must be whole seconds such as 30s, got %s", s.Duration)
	}
	return nil
}

// RunOne runs one client against its own fwsim and leaves its files and result.json in its directory,
// which it returns. An error means the run could not be made at all (fwsim did not start); a client
// that failed is reported in the run's result.
func (s Settings) RunOne(ctx context.Context, workload string, users int, client string) (string, error) {
	select { // a run started right after a 1,000-user run measured ~30% fewer turns than on its own
	case <-time.After(s.Settle):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	load := harness.LoadAverage()
	dir := filepath.Join(s.Out, fmt.Sprintf("%s-%d-%s", workload, users, client))
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", err
	}
	flags, err := WorkloadFlags(workload)
	if err != nil {
		return "", err
	}
	simLog, err := os.Create(filepath.Join(dir, "fwsim.log")) // #nosec G304 -- the run directory
	if err != nil {
		return "", err
	}
	defer func() { _ = simLog.Close() }()
	sim, err := harness.StartFwsim(ctx, harness.FwsimOptions{
		Binary: s.Fwsim, Log: simLog,
		Flags: append(flags, "-jitter", "0.2", "-seed", "1", "-record-turns", "5000000"),
	})
	if err != nil {
		return "", err
	}
	defer func() { _ = sim.Stop() }()
	logf(s.Log, "bench: %s, %d users, %s, %s (fwsim %s)\n", workload, users, client, s.Duration, strings.Join(flags, " "))

	exit, samples, err := s.runClient(ctx, dir, sim.WS()+"/api/chat", users, client)
	if err != nil {
		return "", err
	}
	s.saveFwsim(ctx, dir, sim)
	_ = sim.Stop()
	meta := Meta{
		Client: client, Workload: workload, Users: users, Duration: s.Duration.Seconds(),
		FwsimArgs: strings.Join(flags, " "), ExitCode: exit.Code, Load1: load,
	}
	if err := writeJSON(filepath.Join(dir, "meta.json"), meta); err != nil {
		return "", err
	}
	if err := writeJSON(filepath.Join(dir, "proc.json"), samples); err != nil {
		return "", err
	}
	if exit.Code != 0 {
		logf(s.Log, "bench: %s exited %d; see %s\n%s\n", client, exit.Code,
			filepath.Join(dir, "client.err"), LastLines(filepath.Join(dir, "client.err"), 5))
	}
	if _, err := WriteResult(dir); err != nil {
		logf(s.Log, "bench: no result for %s: %v\n", dir, err)
	}
	return dir, nil
}

// runClient runs the client process, bounded in time, sampling it every 0.25 s.
func (s Settings) runClient(
	ctx context.Context, dir, url string, users int, client string,
) (harness.Exit, []harness.ProcSample, error) {
	o, api, err := s.clientProcess(ctx, dir, url, users, client)
	if err != nil {
		return harness.Exit{}, nil, err
	}
	out := "client.out"
	if client == "plain" { // fwplain prints its ClientSummary; k6 scripts write theirs (BENCH_SUMMARY)
		out = "client.json"
	}
	stdout, err := os.Create(filepath.Join(dir, out)) // #nosec G304 -- the run directory
	if err != nil {
		return harness.Exit{}, nil, err
	}
	defer func() { _ = stdout.Close() }()
	stderr, err := os.Create(filepath.Join(dir, "client.err")) // #nosec G304 -- the run directory
	if err != nil {
		return harness.Exit{}, nil, err
	}
	defer func() { _ = stderr.Close() }()
	o.Stdout, o.Stderr = stdout, stderr
	// Bound the run: users stop starting turns after Duration; a turn ends within 60 s; k6 also
	// initialises its VUs first (a few seconds per 1,000).
	runCtx, cancel := context.WithTimeout(ctx, s.Duration+180*time.Second)
	defer cancel()
	p, err := harness.StartProcess(runCtx, o)
	if err != nil {
		return harness.Exit{}, nil, err
	}
	sampler := harness.SampleProcess(ctx, p.PID(), 250*time.Millisecond)
	profiled := make(chan struct{})
	go func() {
		defer close(profiled)
		defer func() { _ = recover() }() // a failed profile is logged, never the run's end
		if api != "" {
			profile(runCtx, dir, api, s.Duration/2, s.Log)
		}
	}()
	exit, err := p.Wait()
	cancel()
	<-profiled
	return exit, sampler.Stop(), err
}

// clientProcess is the command line of a client; api is k6's REST address when profiling.
func (s Settings) clientProcess(
	ctx context.Context, dir, url string, users int, client string,
) (harness.ProcessOptions, string, error) {
	secs := strconv.Itoa(int(s.Duration.Seconds())) + "s"
	var api string
	k6 := []string{"run", "-q", "--no-usage-report", "--console-output", filepath.Join(dir, "turns.log")}
	address := "127.0.0.1:0"
	if s.Profile && client != "plain" {
		port, err := FreePort(ctx)
		if err != nil {
			return harness.ProcessOptions{}, "", err
		}
		api = "127.0.0.1:" + strconv.Itoa(port)
		address = api
		k6 = append(k6, "--profiling-enabled")
	}
	k6 = append(k6, "--address", address)
	env := []string{
		"BENCH_URL=" + url, "BENCH_DURATION=" + secs, "BENCH_LOG_TURNS=1",
		"BENCH_SUMMARY=" + filepath.Join(dir, "client.json"),
	}
	switch client {
	case "native", "websockets":
		env = append(env, "BENCH_USERS="+strconv.Itoa(users))
		return harness.ProcessOptions{Path: s.K6, Args: append(k6, "examples/bench/"+client+".js"), Env: env}, api, nil
	case "promise", "session":
		env = append(env, "SCALE_MODE="+client, "SCALE_STREAMS="+strconv.Itoa(users),
			"SCALE_VUS="+strconv.Itoa(s.ScaleVUs), "SCALE_RAMP_MS="+strconv.FormatInt(s.Ramp.Milliseconds(), 10))
		return harness.ProcessOptions{Path: s.K6, Args: append(k6, "examples/bench/scale.js"), Env: env}, api, nil
	case "plain":
		args := []string{"run", "-url", url, "-users", strconv.Itoa(users), "-duration", secs}
		if s.PlainRamp {
			args = append(args, "-ramp", s.Ramp.String())
		}
		args = append(args, "-turns", filepath.Join(dir, "turns.log"))
		return harness.ProcessOptions{Path: s.Fwplain, Args: args}, "", nil
	}
	return harness.ProcessOptions{}, "", fmt.Errorf("%w: %q", errClient, client)
}

// saveFwsim keeps fwsim's turn timing and ground truth in the run directory.
func (s Settings) saveFwsim(ctx context.Context, dir string, sim *harness.Fwsim) {
	if turns, err := sim.TurnsNDJSON(ctx); err != nil {
		logf(s.Log, "bench: could not read fwsim's /debug/turns: %v\n", err)
	} else if err := os.WriteFile(filepath.Join(dir, "fwsim-turns.ndjson"), turns, 0o600); err != nil {
		logf(s.Log, "bench: %v\n", err)
	}
	if truth, err := sim.Truth(ctx); err == nil {
		_ = writeJSON(filepath.Join(dir, "fwsim-truth.json"), truth)
	}
}

// profile waits delay, then saves a 10 s CPU profile, a heap profile and the goroutines of k6 at api.
func profile(ctx context.Context, dir, api string, delay time.Duration, log io.Writer) {
	select {
	case <-time.After(delay):
	case <-ctx.Done():
		return
	}
	for _, p := range [][2]string{
		{"k6-cpu.pprof", "/debug/pprof/profile?seconds=10"},
		{"k6-heap.pprof", "/debug/pprof/heap"},
		{"k6-goroutines.txt", "/debug/pprof/goroutine?debug=1"},
	} {
		if err := fetch(ctx, "http://"+api+p[1], filepath.Join(dir, p[0])); err != nil {
			logf(log, "bench: %s failed: %v\n", p[0], err)
		}
	}
}

func fetch(ctx context.Context, url, file string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(file) // #nosec G304 -- a file in the run directory
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	_, err = io.Copy(f, resp.Body)
	return err
}

// FreePort is a loopback port nobody listens on right now (for k6's REST API when profiling).
func FreePort(ctx context.Context) (int, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = ln.Close() }()
	addr, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return 0, fmt.Errorf("not a TCP address: %s", ln.Addr())
	}
	return addr.Port, nil
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	// #nosec G306 -- benchmark files with no secrets, meant to be read
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// LastLines is the last n lines of a file ("" when unreadable).
func LastLines(path string, n int) string {
	b, err := os.ReadFile(path) // #nosec G304 -- a file in the run directory
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// logf writes a progress line; a failed write to the terminal has nowhere to be reported.
func logf(w io.Writer, format string, args ...any) {
	if w != nil {
		_, _ = fmt.Fprintf(w, format, args...)
	}
}
