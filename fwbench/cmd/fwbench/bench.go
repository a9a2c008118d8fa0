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
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// benchmark is `fwbench sidebyside` or `fwbench scale`: its defaults and its table's text.
type benchmark struct {
	name       string // the table is Out/../<name>.md
	out        string
	duration   time.Duration
	quick      time.Duration // the duration with -quick (0: same)
	workloads  string
	users      string // -users or -streams
	usersFlag  string
	clients    string
	ramp       time.Duration
	profile    bool
	plainRamp  bool
	fdHeadroom uint64 // file descriptors needed beyond one per user
	intro      func(s bench.Settings, fds uint64) string
	notes      string
}

// sideBySideBench is make bench-sidebyside: native vs k6/websockets vs plain Go on the same fwsim.
// -quick (FW_BENCH_QUICK=1): 10 s per run instead of 30 s (all 12 runs in ~5 minutes).
func sideBySideBench() benchmark {
	return benchmark{
		name: "bench-sidebyside", out: "out/bench", duration: 30 * time.Second, quick: 10 * time.Second,
		workloads: "fast slow", users: "200 1000", usersFlag: "users", clients: "native websockets plain",
		ramp: 10 * time.Second, fdHeadroom: 100,
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
		name: "bench-scale", out: "out/scale", duration: 60 * time.Second, workloads: "stream",
		users: "5000 10000 15000", usersFlag: "streams", clients: "promise session plain", ramp: 20 * time.Second,
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

// benchKnobs are a benchmark's knobs, as given.
type benchKnobs struct {
	out, workloads, clients, users string
	k6, fwplain, fwsim             string
	duration, settle, ramp         time.Duration
	scaleVUs                       int
	quick, profile                 bool
}

// flags defines the benchmark's knobs (FW_BENCH_*, FW_K6, FW_FWPLAIN, FW_FWSIM).
func (b benchmark) flags(fs *knob.FlagSet) *benchKnobs {
	k := &benchKnobs{}
	fs.StringVar(&k.out, "out", "FW_BENCH_OUT", b.out, "directory of the runs; the table goes beside it")
	fs.StringVar(&k.workloads, "workloads", "FW_BENCH_WORKLOADS", b.workloads, "workloads, space-separated")
	fs.StringVar(&k.clients, "clients", "FW_BENCH_CLIENTS", b.clients, "clients, space-separated")
	fs.StringVar(&k.users, b.usersFlag, "FW_BENCH_"+strings.ToUpper(b.usersFlag), b.users,
		b.usersFlag+" of each run, space-separated")
	fs.DurationVar(&k.duration, "duration", "FW_BENCH_DURATION", b.duration, "each run's load window")
	fs.DurationVar(&k.settle, "settle", "FW_BENCH_SETTLE", 5*time.Second, "pause between runs")
	fs.DurationVar(&k.ramp, "ramp", "FW_BENCH_RAMP", b.ramp, "ramp of the users or streams, inside the window")
	fs.IntVar(&k.scaleVUs, "scale-vus", "FW_BENCH_SCALE_VUS", 10, "k6 VUs that carry the scale benchmark's streams")
	fs.BoolVar(&k.profile, "profile", "FW_BENCH_PROFILE", b.profile, "write CPU profiles of the clients")
	if b.quick > 0 {
		fs.BoolVar(&k.quick, "quick", "FW_BENCH_QUICK", false, "runs of "+b.quick.String()+" unless -duration is given")
	}
	fs.StringVar(&k.k6, "k6", "FW_K6", "./k6", "k6 built with the extension")
	fs.StringVar(&k.fwplain, "fwplain", "FW_FWPLAIN", "bin/fwplain", "the plain Go client")
	fs.StringVar(&k.fwsim, "fwsim", "FW_FWSIM", "bin/fwsim", "fwsim binary")
	return k
}

// settings checks the knobs and returns the benchmark's settings; set reports whether a flag or
// variable gave -duration.
func (b benchmark) settings(k *benchKnobs, durationSet bool, log io.Writer) (bench.Settings, error) {
	s := bench.Settings{
		Out: k.out, Workloads: strings.Fields(k.workloads), Clients: strings.Fields(k.clients),
		K6: k.k6, Fwplain: k.fwplain, Fwsim: k.fwsim, Duration: k.duration, Settle: k.settle, Ramp: k.ramp,
		ScaleVUs: k.scaleVUs, Profile: k.profile, PlainRamp: b.plainRamp, Log: log,
	}
	if k.quick && !durationSet {
		s.Duration = b.quick
	}
	var errs []error
	if k.scaleVUs < 1 {
		errs = append(errs, fmt.Errorf("-scale-vus (FW_BENCH_SCALE_VUS) %d: expected a positive integer", k.scaleVUs))
	}
	for f := range strings.FieldsSeq(k.users) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			errs = append(errs, fmt.Errorf("-%s: %q is not a positive integer", b.usersFlag, f))
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

func benchCmd(ctx, quit context.Context, b benchmark, args []string, env knob.LookupEnv, stdout, stderr io.Writer) int {
	name := strings.TrimPrefix(b.name, "bench-")
	fs := knob.New(name, env, stderr)
	k := b.flags(fs)
	if code, done := parseKnobs(fs, args, stderr, name, "Runs the "+b.name+" benchmark (docs/BENCHMARKS.md)."); done {
		return code
	}
	durationSet := false
	fs.Visit(func(f *flag.Flag) { durationSet = durationSet || f.Name == "duration" })
	if v, _ := env("FW_BENCH_DURATION"); v != "" {
		durationSet = true
	}
	s, err := b.settings(k, durationSet, stderr)
	if err != nil {
		printf(stderr, "fwbench %s: %v\n", name, err)
		return exitcode.BadInput
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
		return exitcode.BadInput
	}
	rs, err := bench.ReadResults(fs.Args(), stderr)
	if err != nil {
		printf(stderr, "fwbench table: %v\n", err)
		return 1
	}
	printf(stdout, "%s", bench.RenderTable(rs))
	return 0
}
