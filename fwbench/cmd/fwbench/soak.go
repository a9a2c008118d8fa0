package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/featherweight/xk6-featherweight/fwbench/harness"
	"github.com/featherweight/xk6-featherweight/fwbench/internal/bench"
	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
)

// soakSample is one row of soak.tsv.
type soakSample struct {
	at         time.Duration // since k6 started
	rssMiB     uint64
	goroutines int // -1: k6's pprof did not answer
	fds        int
}

// soakKnobs are the soak's knobs, as given.
type soakKnobs struct {
	scenario                  *scenarioKnobs
	hold, every, ramp, warmup time.Duration
	apiPort, profile          string
}

// parseSoak reads the soak's knobs; done is true when the command ends here with code.
func parseSoak(args []string, lookup knob.LookupEnv, stderr io.Writer) (o soakKnobs, code int, done bool) {
	fs := knob.New("soak", lookup, stderr)
	o.scenario = scenarioFlags(fs, "out/soak")
	fs.StringVar(&o.profile, "profile", "FW_PROFILE", "soak",
		"the bundled scenario's profile (soak: 1,000 users, sketched Trends, checkpoints)")
	fs.DurationVar(&o.hold, "hold", "FW_HOLD", time.Hour, "the scenario's hold")
	fs.DurationVar(&o.warmup, "warmup", "FW_SOAK_WARMUP", 5*time.Minute,
		"the start of the hold left out of the RSS slope")
	fs.DurationVar(&o.every, "every", "FW_SOAK_EVERY", 10*time.Second, "how often k6 is sampled")
	fs.DurationVar(&o.ramp, "ramp", "FW_SOAK_RAMP", 70*time.Second,
		"time from k6's start to the hold (the growth is measured over the hold only)")
	fs.StringVar(&o.apiPort, "api-port", "FW_SOAK_API_PORT", "", "k6's REST API port for pprof (empty: a free one)")
	if code, done := parseKnobs(fs, args, stderr, "soak",
		"Runs the bundled scenario with a long hold, sampling k6 for growth; exits with k6's code."); done {
		return o, code, true
	}
	if o.every < time.Second || o.hold <= 0 {
		printf(stderr, "fwbench soak: -every (FW_SOAK_EVERY) must be at least 1s and -hold (FW_HOLD) positive\n")
		return o, exitcode.BadInput, true
	}
	return o, 0, false
}

// soakCmd is `fwbench soak` (make soak): the bundled scenario's soak profile (-profile, FW_PROFILE,
// soak: 1,000 users, sketched Trends, checkpoints) with a long hold (-hold, FW_HOLD, 1h) against its
// own fwsim, sampling k6 every -every (FW_SOAK_EVERY, 10s): RSS, goroutines (k6's pprof on its REST
// API, loopback only) and open file descriptors. The web dashboard is off (K6_WEB_DASHBOARD=true turns
// it on: its cumulative view keeps every Trend value). Writes FW_OUT_DIR/soak.tsv (default out/soak)
// and prints the growth over the hold (first vs last sample, the peak) and the least-squares RSS
// slope after the hold's first -warmup (FW_SOAK_WARMUP, 5m).
func soakCmd(ctx context.Context, args []string, lookup knob.LookupEnv, stdout, stderr io.Writer) int {
	o, code, stop := parseSoak(args, lookup, stderr)
	if stop {
		return code
	}
	holdDur, every, ramp, apiPort := o.hold, o.every, o.ramp, o.apiPort
	sc := o.scenario.scenario(stdout, stderr)
	hold := holdDur.String()
	dashPort := env("K6_WEB_DASHBOARD_PORT", "")
	for _, p := range []*string{&apiPort, &dashPort} {
		if *p == "" {
			n, err := bench.FreePort(ctx)
			if err != nil {
				printf(stderr, "fwbench soak: %v\n", err)
				return 1
			}
			*p = strconv.Itoa(n)
		}
	}
	api := "127.0.0.1:" + apiPort
	sc.k6Flags = append(sc.k6Flags, "--address", api, "--profiling-enabled")
	sc.extraEnv = []string{
		"FW_HOLD=" + hold, "FW_PROFILE=" + o.profile, "K6_WEB_DASHBOARD_PORT=" + dashPort,
		"K6_WEB_DASHBOARD=" + env("K6_WEB_DASHBOARD", "false"),
	}
	if err := os.MkdirAll(sc.outDir, 0o750); err != nil {
		printf(stderr, "fwbench soak: %v\n", err)
		return 1
	}
	runLog, err := os.Create(filepath.Join(sc.outDir, "run.log")) // #nosec G304 -- the soak's output directory
	if err != nil {
		printf(stderr, "fwbench soak: %v\n", err)
		return 1
	}
	defer func() { _ = runLog.Close() }()
	sc.k6Stdout, sc.k6Stderr = runLog, runLog

	var (
		mu      sync.Mutex
		samples []soakSample
		done    = make(chan struct{})
		wg      sync.WaitGroup
	)
	sc.started = func(k6 *harness.Process) {
		wg.Go(func() {
			start := time.Now()
			t := time.NewTicker(every)
			defer t.Stop()
			for {
				select {
				case <-done:
					return
				case <-t.C:
				}
				p, err := harness.ReadProc(k6.PID())
				if err != nil || p.Finished {
					return
				}
				s := soakSample{at: time.Since(start), rssMiB: p.RSS >> 20, fds: p.FDs, goroutines: goroutines(ctx, api)}
				mu.Lock()
				samples = append(samples, s)
				mu.Unlock()
			}
		})
	}
	code = sc.run(ctx, runLog)
	close(done)
	wg.Wait()

	tsv := filepath.Join(sc.outDir, "soak.tsv")
	if err := writeSoakTSV(tsv, samples); err != nil {
		printf(stderr, "fwbench soak: %v\n", err)
	}
	_ = runLog.Sync()
	printf(stdout, "%s\n", bench.LastLines(runLog.Name(), 30))
	printf(stdout, "k6 exit code: %d; samples: %s\n", code, tsv)
	printf(stdout, "%s\n", growth(samples, ramp, holdDur))
	printf(stdout, "%s\n", slope(samples, ramp+o.warmup, ramp+holdDur-10*time.Second))
	return code
}

// goroutines is k6's goroutine count from its pprof endpoint (-1 when it does not answer).
func goroutines(ctx context.Context, api string) int {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+api+"/debug/pprof/goroutine?debug=1", nil)
	if err != nil {
		return -1
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return -1
	}
	defer func() { _ = resp.Body.Close() }()
	line, _ := bufio.NewReader(resp.Body).ReadString('\n') // "goroutine profile: total 1234"
	_, n, ok := strings.Cut(strings.TrimSpace(line), "total ")
	v, err := strconv.Atoi(n)
	if !ok || err != nil {
		return -1
	}
	return v
}

func writeSoakTSV(path string, samples []soakSample) error {
	var b strings.Builder
	b.WriteString("t_s\trss_mib\tgoroutines\tfds\n")
	for _, s := range samples {
		g := "NA"
		if s.goroutines >= 0 {
			g = strconv.Itoa(s.goroutines)
		}
		fmt.Fprintf(&b, "%d\t%d\t%s\t%d\n", int(s.at.Seconds()), s.rssMiB, g, s.fds)
	}
	// #nosec G306 -- soak figures with no secrets, meant to be read
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// growth compares the first and last samples of the hold (after the ramp-up, before the ramp-down).
func growth(samples []soakSample, ramp, hold time.Duration) string {
	var in []soakSample
	for _, s := range samples {
		if s.at >= ramp && (hold <= 10*time.Second || s.at <= ramp+hold-10*time.Second) {
			in = append(in, s)
		}
	}
	if len(in) == 0 {
		return "no samples in the hold"
	}
	first, last := in[0], in[len(in)-1]
	var peak uint64
	for _, s := range in {
		peak = max(peak, s.rssMiB)
	}
	return fmt.Sprintf("over the hold (%d samples): RSS %d -> %d MiB (peak %d), goroutines %d -> %d, fds %d -> %d",
		len(in), first.rssMiB, last.rssMiB, peak, first.goroutines, last.goroutines, first.fds, last.fds)
}

// slope is the least-squares growth of k6's RSS (MB per hour, MB = 10^6 bytes) over the samples
// taken between from and to (since k6 started).
func slope(samples []soakSample, from, to time.Duration) string {
	var n, sx, sy, sxx, sxy float64
	for _, s := range samples {
		if s.at < from || s.at > to {
			continue
		}
		x, y := s.at.Hours(), float64(s.rssMiB)*(1<<20)/1e6
		n++
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	if n < 2 || n*sxx == sx*sx {
		return fmt.Sprintf("RSS slope: too few samples between %v and %v", from, to)
	}
	b := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	return fmt.Sprintf("RSS slope from %v to %v (%d samples): %+.1f MB/h", from, to, int(n), b)
}
