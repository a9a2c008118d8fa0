// Command fwarrivalbench measures schedule lag (actual start minus scheduled start) and dropped
// iterations of the extension's poisson-arrival-rate beside k6's constant-arrival-rate, at the same
// rates in one k6 run, and prints a markdown table.
//
//	fwarrivalbench -k6 ./k6 [-rates 100,1000,5000] [-duration 5s] [-vus 200] [-seed 1]
//
// Method: a recording HTTP server on 127.0.0.1 notes when each iteration's request arrives and its
// global iteration index (exec.scenario.iterationInTest). The scheduled offset of iteration i is
// i/rate for constant-arrival-rate and the seeded sequence's i-th arrival for poisson-arrival-rate
// (reproduced with the executor/arrival package, the generator the executor runs). The scenario's
// start is not observable with enough precision, so each scenario's lags are measured from its
// smallest (arrival − schedule): lag_i = (arrival_i − scheduled_i) − min_j(arrival_j − scheduled_j).
// The same path (JS iteration, k6 HTTP client, loopback, server) is in both executors' figures.
//
// The server's view: the gaps between consecutive requests as the server read them (its own clock,
// not the schedule), with the share under 0.2 ms and under 1 ms (for poisson-arrival-rate beside
// what an exponential gap gives, 1 − e^(−rate·t)) and, for poisson-arrival-rate, the
// Kolmogorov-Smirnov statistic D of those gaps against Exp(rate) with its critical value at
// alpha = 0.01 (1.628/√n): D below it is a pass.
package main

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/featherweight/xk6-featherweight/executor/arrival"

	"github.com/featherweight/xk6-featherweight/internal/exitcode"
	"github.com/featherweight/xk6-featherweight/internal/knob"
	"github.com/featherweight/xk6-featherweight/internal/netstamp"
)

//go:embed script.js
var script []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		_, _ = fmt.Fprintln(os.Stderr, "fwarrivalbench:", err)
		code := exitcode.Error
		if errors.Is(err, errBadInput) {
			code = exitcode.BadInput
		}
		stop()
		os.Exit(code) //nolint:gocritic // stop already ran
	}
}

type config struct {
	k6       string
	rates    []int
	duration time.Duration
	vus      int
	seed     uint64
	dump     string
}

// errBadInput is matched by the errors of a bad command line (exit 2; docs/tools.md).
var errBadInput = errors.New("bad input")

func parseFlags(args []string, env knob.LookupEnv, stderr io.Writer) (config, error) {
	fs := knob.New("fwarrivalbench", env, stderr)
	var c config
	var rates string
	fs.StringVar(&c.k6, "k6", "FW_K6", "./k6", "the xk6-built k6 with this extension")
	fs.StringVar(&rates, "rates", "FW_ARRIVALBENCH_RATES", "100,1000,5000", "arrival rates per second, comma-separated")
	fs.DurationVar(&c.duration, "duration", "FW_ARRIVALBENCH_DURATION", 5*time.Second,
		"how long each scenario starts arrivals")
	fs.IntVar(&c.vus, "vus", "FW_ARRIVALBENCH_VUS", 200, "preAllocatedVUs = maxVUs of every scenario")
	fs.Uint64Var(&c.seed, "seed", "FW_ARRIVALBENCH_SEED", 1, "seed of the poisson-arrival-rate scenarios")
	fs.StringVar(&c.dump, "dump", "FW_ARRIVALBENCH_DUMP", "",
		"also write DIR/<scenario>.csv: index, scheduled offset, lag (ns)")
	fs.Usage = func() {
		_, _ = fmt.Fprintf(stderr, "usage: fwarrivalbench [flags]\n  %s\nflags:\n", knob.Rule)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, fmt.Errorf("%w: %w", errBadInput, err)
	}
	for r := range strings.SplitSeq(rates, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(r))
		if err != nil || n <= 0 {
			return config{}, fmt.Errorf("%w: -rates: %q is not a positive integer", errBadInput, r)
		}
		c.rates = append(c.rates, n)
	}
	if c.duration < time.Second || c.vus < 1 {
		return config{}, fmt.Errorf("%w: -duration must be at least 1s and -vus at least 1", errBadInput)
	}
	return c, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := parseFlags(args, knob.OSEnv(), stderr)
	if err != nil {
		return err
	}
	rec := newRecorder()
	ln, err := new(net.ListenConfig).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second, ConnContext: netstamp.ConnContext}
	go func() { _ = srv.Serve(netstamp.Listener{Listener: ln}) }()
	defer func() { _ = srv.Close() }()

	dir, err := os.MkdirTemp("", "fwarrivalbench")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(dir) }()
	scriptPath, summaryPath := filepath.Join(dir, "script.js"), filepath.Join(dir, "summary.json")
	if err := os.WriteFile(scriptPath, script, 0o600); err != nil {
		return err
	}
	slot := int((c.duration + 3*time.Second).Seconds()) // duration, gracefulStop and a pause
	rates := make([]string, len(c.rates))
	for i, r := range c.rates {
		rates[i] = strconv.Itoa(r)
	}
	load0 := loadAverage()
	cmd := exec.CommandContext(ctx, c.k6, "run", "--quiet", "--no-color", scriptPath) // #nosec G204 -- the k6 named by -k6
	cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true",
		"URL=http://"+ln.Addr().String(), "RATES="+strings.Join(rates, ","),
		"DURATION="+c.duration.String(), "SLOT_SECONDS="+strconv.Itoa(slot),
		"VUS="+strconv.Itoa(c.vus), "SEED="+strconv.FormatUint(c.seed, 10), "SUMMARY="+summaryPath)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("k6: %w", err)
	}
	dropped, err := readDropped(summaryPath)
	if err != nil {
		return err
	}
	rows, err := measure(c, rec, dropped)
	if err != nil {
		return err
	}
	printTable(stdout, c, rows, load0, loadAverage())
	return nil
}

// recorder notes each request's arrival time by scenario and iteration index: when its data reached
// the socket (the kernel's receive stamp) where the platform gives one, else when the handler ran.
type recorder struct {
	mu     sync.Mutex
	starts map[string]map[int64]time.Time
}

func newRecorder() *recorder { return &recorder{starts: map[string]map[int64]time.Time{}} }

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	at, _ := netstamp.RequestArrival(req, time.Now())
	q := req.URL.Query()
	i, err := strconv.ParseInt(q.Get("i"), 10, 64)
	if err != nil {
		http.Error(w, "bad i", http.StatusBadRequest)
		return
	}
	r.mu.Lock()
	s := r.starts[q.Get("s")]
	if s == nil {
		s = map[int64]time.Time{}
		r.starts[q.Get("s")] = s
	}
	s[i] = at
	r.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

func readDropped(path string) (map[string]float64, error) {
	b, err := os.ReadFile(filepath.Clean(path)) // the summary file this command named
	if err != nil {
		return nil, err
	}
	var s struct {
		Dropped map[string]float64 `json:"dropped"`
	}
	return s.Dropped, json.Unmarshal(b, &s)
}

// row is one scenario's figures.
type row struct {
	executor      string
	rate          int
	started       int
	dropped       float64
	p50, p99, max time.Duration
	server        serverView
}

// serverView summarises the gaps between requests as the server saw them.
type serverView struct {
	gaps                 int
	under200us, under1ms float64 // shares of the gaps
	ksD, ksCritical      float64 // against Exp(rate); 0 when not computed
}

// viewOf computes the server's view of one scenario's request times; ks asks for the KS test.
func viewOf(starts map[int64]time.Time, rate float64, ks bool) serverView {
	times := slices.SortedFunc(maps.Values(starts), time.Time.Compare)
	if len(times) < 2 {
		return serverView{}
	}
	gaps := make([]float64, len(times)-1)
	for i := range gaps {
		gaps[i] = times[i+1].Sub(times[i]).Seconds()
	}
	v := serverView{gaps: len(gaps)}
	for _, g := range gaps {
		if g < 0.0002 {
			v.under200us++
		}
		if g < 0.001 {
			v.under1ms++
		}
	}
	v.under200us /= float64(len(gaps))
	v.under1ms /= float64(len(gaps))
	if ks {
		v.ksD, v.ksCritical = arrival.KSExponential(gaps, rate)
	}
	return v
}

func measure(c config, rec *recorder, dropped map[string]float64) ([]row, error) {
	var rows []row
	for _, rate := range c.rates {
		profile, err := arrival.ConstantRate(float64(rate), c.duration)
		if err != nil {
			return nil, err
		}
		poisson, err := arrival.All(arrival.Options{Profile: profile, Burstiness: 1, Seed: c.seed})
		if err != nil {
			return nil, err
		}
		period := time.Second / time.Duration(rate)
		for _, ex := range []struct {
			name, prefix string
			schedule     func(i int64) (time.Duration, bool)
		}{
			{"constant-arrival-rate", "constant", func(i int64) (time.Duration, bool) {
				return time.Duration(i) * period, true
			}},
			{"poisson-arrival-rate", "poisson", func(i int64) (time.Duration, bool) {
				if i < 0 || i >= int64(len(poisson)) {
					return 0, false
				}
				return poisson[i].At, true
			}},
		} {
			scenario := ex.prefix + "_" + strconv.Itoa(rate)
			rec.mu.Lock()
			starts := rec.starts[scenario]
			rec.mu.Unlock()
			r := row{
				executor: ex.name, rate: rate, started: len(starts), dropped: dropped[scenario],
				server: viewOf(starts, float64(rate), ex.prefix == "poisson"),
			}
			points := lags(starts, ex.schedule)
			if len(points) > 0 {
				q := func(p float64) time.Duration {
					sorted := slices.SortedFunc(slices.Values(points), func(a, b lagPoint) int { return int(a.lag - b.lag) })
					return sorted[min(len(sorted)-1, int(p*float64(len(sorted))))].lag
				}
				r.p50, r.p99, r.max = q(0.5), q(0.99), q(1)
			}
			if c.dump != "" {
				if err := dumpLags(filepath.Join(c.dump, scenario+".csv"), points); err != nil {
					return nil, err
				}
			}
			rows = append(rows, r)
		}
	}
	return rows, nil
}

// lagPoint is one started iteration: its index, scheduled offset and lag.
type lagPoint struct {
	index          int64
	scheduled, lag time.Duration
}

// lags returns each started iteration's lag, (arrival − scheduled) measured from its minimum, in
// index order.
func lags(starts map[int64]time.Time, schedule func(int64) (time.Duration, bool)) []lagPoint {
	points := make([]lagPoint, 0, len(starts))
	var origin time.Time
	for i, at := range starts {
		s, ok := schedule(i)
		if !ok {
			continue
		}
		if origin.IsZero() {
			origin = at
		}
		points = append(points, lagPoint{index: i, scheduled: s, lag: at.Sub(origin) - s})
	}
	if len(points) == 0 {
		return nil
	}
	base := slices.MinFunc(points, func(a, b lagPoint) int { return int(a.lag - b.lag) }).lag
	for i := range points {
		points[i].lag -= base
	}
	slices.SortFunc(points, func(a, b lagPoint) int { return int(a.index - b.index) })
	return points
}

func dumpLags(path string, points []lagPoint) error {
	var b strings.Builder
	b.WriteString("index,scheduled_ns,lag_ns\n")
	for _, p := range points {
		fmt.Fprintf(&b, "%d,%d,%d\n", p.index, p.scheduled, p.lag)
	}
	return os.WriteFile(path, []byte(b.String()), 0o600)
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func printTable(w io.Writer, c config, rows []row, load0, load1 string) {
	_, _ = fmt.Fprintf(w, "fwarrivalbench: %d CPUs (GOMAXPROCS of this process %d), load average %s before, %s after; "+
		"%s per scenario, %d VUs, seed %d\n\n", runtime.NumCPU(), runtime.GOMAXPROCS(0), load0, load1,
		c.duration, c.vus, c.seed)
	_, _ = fmt.Fprintln(w, "| rate/s | executor | started | dropped | lag p50 | lag p99 | lag max |"+
		" server: gaps < 0.2 ms | gaps < 1 ms | KS D (critical, α 0.01) |")
	_, _ = fmt.Fprintln(w, "|---:|---|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, r := range rows {
		_, _ = fmt.Fprintf(w, "| %d | %s | %d | %.0f | %s | %s | %s | %s |\n", r.rate, r.executor, r.started, r.dropped,
			fmtLag(r.p50), fmtLag(r.p99), fmtLag(r.max), r.server.cells(float64(r.rate)))
	}
}

// cells are the server-view columns; the expected shares are given for the Poisson rows.
func (v serverView) cells(rate float64) string {
	if v.gaps == 0 {
		return "- | - | -"
	}
	if v.ksCritical == 0 {
		return fmt.Sprintf("%.2f%% | %.2f%% | -", 100*v.under200us, 100*v.under1ms)
	}
	verdict := "pass"
	if v.ksD >= v.ksCritical {
		verdict = "fail"
	}
	return fmt.Sprintf("%.2f%% (exp. %.2f%%) | %.2f%% (exp. %.2f%%) | %.4f (%.4f) %s",
		100*v.under200us, 100*(1-math.Exp(-rate*0.0002)), 100*v.under1ms, 100*(1-math.Exp(-rate*0.001)),
		v.ksD, v.ksCritical, verdict)
}

func fmtLag(d time.Duration) string {
	return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64) + " ms"
}
