package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/internal/bench"
)

// benchmark is `fwbench sidebyside` or `fwbench scale`: its defaults and its table's text.
type benchmark struct {
	name       string // the table is Out/../<name>.md
	out        string
	duration   string
	workloads  string
	users      string // BENCH_USERS or BENCH_STREAMS
	usersVar   string
	clients    string
	ramp       string
	profile    bool
	plainRamp  bool
	fdHeadroom uint64 // file descriptors needed beyond one per user
	intro      func(s bench.Settings, fds uint64) string
	notes      string
}

// sideBySideBench is make bench-sidebyside: native vs k6/websockets vs plain Go on the same fwsim.
// BENCH_QUICK=1: 10 s per run instead of 30 s (all 12 runs in ~5 minutes).
func sideBySideBench() benchmark {
	duration := "30s"
	if os.Getenv("BENCH_QUICK") == "1" {
		duration = "10s"
	}
	return benchmark{
		name: "bench-sidebyside", out: "out/bench", duration: duration, workloads: "fast slow",
		users: "200 1000", usersVar: "BENCH_USERS", clients: "native websockets plain", ramp: "10s",
		profile: os.Getenv("BENCH_PROFILE") == "1", fdHeadroom: 100,
		intro: func(s bench.Settings, _ uint64) string {
			return fmt.Sprintf("Each run: %s of turns back to back per user, its own fwsim (jitter 0.2, seed 1) on "+
				"loopback, the client and fwsim sharing the machine.", secs(s.Duration))
		},
		notes: sideBySideNotes,
	}
}

const sideBySideNotes = `
- CPU: the client process's utime+stime (from /proc) between fwsim's first prompt read and its last
  token write (k6's VU initialisation and end-of-test summary excluded), per 1,000 tokens received.
- TTFT/ITL error: the client's p50 (p99) minus fwsim's own p50 (p99) of the same run (fwsim: prompt
  frame read -> first token frame written; gaps between token writes). Per-turn: each turn's client
  TTFT minus fwsim's for the same messageId, then p50/p99. k6/websockets times with ` + "`Date.now()`" + `
  (1 ms resolution).
- Workloads (fwsim flags): fast = ` + "`-ttft 20ms -itl 5ms -tokens 100`" + `; slow (seed-like) =
  ` + "`-ttft 300ms -itl 20ms -tokens 50`" + `.
- turns: completed turns; "vs plain" is the ratio to the plain Go client in the same cell.
- load: the machine's 1-minute load average when the run started (2 cores: above ~2 the client
  and fwsim waited for CPU and the latencies above include that wait).
`

// scaleBench is make bench WHAT=scale: how many concurrent streams one machine holds.
func scaleBench() benchmark {
	return benchmark{
		name: "bench-scale", out: "out/scale", duration: "60s", workloads: "stream",
		users: "5000 10000 15000", usersVar: "BENCH_STREAMS", clients: "promise session plain", ramp: "20s",
		profile: true, plainRamp: true, fdHeadroom: 200,
		intro: func(s bench.Settings, fds uint64) string {
			return fmt.Sprintf("Each run: %s (the first %s ramping the streams up), its own fwsim "+
				"(`-ttft 300ms -itl 250ms -tokens 40`: 4 tokens/s per stream), k6 with %d VUs. Open files limit: %d.",
				secs(s.Duration), secs(s.Ramp), s.ScaleVUs, fds)
		},
		notes: "\nCPU here is over the whole load window (ramp included); \"CPU cores\" is that CPU over the window's " +
			"wall time. Profiles: out/scale/*/k6-cpu.pprof (`go tool pprof -top k6 FILE`).\n",
	}
}

func secs(d time.Duration) string { return strconv.Itoa(int(d.Seconds())) + "s" }

// settings reads the benchmark's knobs: BENCH_DURATION, BENCH_WORKLOADS, BENCH_USERS (BENCH_STREAMS),
// BENCH_CLIENTS, BENCH_OUT, BENCH_SETTLE (5 s), BENCH_RAMP, SCALE_VUS (10), FW_K6, FWPLAIN, FWSIM.
func (b benchmark) settings(log io.Writer) (bench.Settings, error) {
	s := bench.Settings{
		Out: env("BENCH_OUT", b.out), Workloads: strings.Fields(env("BENCH_WORKLOADS", b.workloads)),
		Clients: strings.Fields(env("BENCH_CLIENTS", b.clients)),
		K6:      env("FW_K6", "./k6"), Fwplain: env("FWPLAIN", "bin/fwplain"), Fwsim: env("FWSIM", "bin/fwsim"),
		Profile: b.profile, PlainRamp: b.plainRamp, Log: log,
	}
	var errs []error
	dur := func(name, dflt string) time.Duration {
		v := env(name, dflt)
		if n, err := strconv.Atoi(v); err == nil { // BENCH_SETTLE=5 means seconds
			return time.Duration(n) * time.Second
		}
		d, err := time.ParseDuration(v)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: expected a duration such as %s", name, v, dflt))
		}
		return d
	}
	s.Duration = dur("BENCH_DURATION", b.duration)
	s.Settle = dur("BENCH_SETTLE", "5s")
	s.Ramp = dur("BENCH_RAMP", b.ramp)
	vus, err := strconv.Atoi(env("SCALE_VUS", "10"))
	if err != nil || vus < 1 {
		errs = append(errs, fmt.Errorf("SCALE_VUS=%q: expected a positive integer", os.Getenv("SCALE_VUS")))
	}
	s.ScaleVUs = vus
	for f := range strings.FieldsSeq(env(b.usersVar, b.users)) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("%s: %q is not a positive integer", b.usersVar, f))
		}
		s.Users = append(s.Users, n)
	}
	if err := errors.Join(errs...); err != nil {
		return s, err
	}
	return s, s.Check()
}

// raiseFDLimit raises the soft limit on open files to the hard one (one socket per user in the
// client and in fwsim) and returns it.
func raiseFDLimit() uint64 {
	var l syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	l.Cur = l.Max
	_ = syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l); err != nil {
		return 0
	}
	return l.Cur
}

func benchCmd(ctx, quit context.Context, b benchmark, stdout, stderr io.Writer) int {
	s, err := b.settings(stderr)
	if err != nil {
		printf(stderr, "fwbench %s: %v\n", strings.TrimPrefix(b.name, "bench-"), err)
		return 2
	}
	fds := raiseFDLimit()
	printf(stderr, "%s: open files limit %d\n", b.name, fds)
	var dirs []string
	for _, w := range s.Workloads {
		for _, users := range s.Users {
			if uint64(users)+b.fdHeadroom > fds { // #nosec G115 -- users is positive
				printf(stderr, "%s: skipping %d users: ulimit -n is %d (one socket per user per process)\n", b.name, users, fds)
				continue
			}
			for _, c := range s.Clients {
				if quit.Err() != nil {
					printf(stderr, "%s: interrupted\n", b.name)
					return 1
				}
				dir, err := s.RunOne(ctx, w, users, c)
				if err != nil {
					printf(stderr, "fwbench %s: %v\n", b.name, err)
					return 1
				}
				dirs = append(dirs, dir)
			}
		}
	}
	results, err := bench.ReadResults(dirs, stderr)
	if err != nil {
		printf(stderr, "fwbench %s: %v\n", b.name, err)
		return 1
	}
	md := fmt.Sprintf("# %s: %s\n\n%s\n%s\n\n%s%s", b.name, time.Now().UTC().Format("2006-01-02 15:04 UTC"),
		bench.MachineLine(), b.intro(s, fds), bench.RenderTable(results), b.notes)
	path := filepath.Join(filepath.Dir(filepath.Clean(s.Out)), b.name+".md")
	// #nosec G306 -- a benchmark table, meant to be read
	if err := os.WriteFile(path, []byte(md), 0o644); err != nil {
		printf(stderr, "fwbench %s: %v\n", b.name, err)
		return 1
	}
	printf(stdout, "%s", md)
	return 0
}

// tableCmd prints the markdown table of benchmark run directories (each with a result.json).
func tableCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("fwbench table", flag.ContinueOnError)
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	rs, err := bench.ReadResults(fs.Args(), stderr)
	if err != nil {
		printf(stderr, "fwbench table: %v\n", err)
		return 1
	}
	printf(stdout, "%s", bench.RenderTable(rs))
	return 0
}
