//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/featherweight/xk6-featherweight/executor/arrival"
	"github.com/featherweight/xk6-featherweight/internal/netstamp"
)

// invalidConfigExitCode is k6's exit code for invalid options (errext/exitcodes.InvalidConfig).
const invalidConfigExitCode = 104

// arrivalServer records when each request of the arrival scripts reaches it, per run.
type arrivalServer struct {
	URL   string
	mu    sync.Mutex
	byRun map[string][]recordedArrival
}

// recordedArrival is one request: when it reached the server, and the global arrival index the
// script sent (exec.scenario.iterationInTest).
type recordedArrival struct {
	// At is the kernel's receive time of the request's data at the server's socket
	// (internal/netstamp) when Stamped, else when the handler ran: the server's own reading
	// either way, and the stamp leaves out the test server's scheduling delays.
	At      time.Time
	Stamped bool
	Index   int64
}

func newArrivalServer(t *testing.T) *arrivalServer {
	t.Helper()
	s := &arrivalServer{byRun: map[string][]recordedArrival{}}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		at, stamped := netstamp.RequestArrival(r, time.Now())
		i, err := strconv.ParseInt(r.URL.Query().Get("i"), 10, 64)
		if err != nil {
			http.Error(w, "bad index", http.StatusBadRequest)
			return
		}
		s.mu.Lock()
		run := r.URL.Query().Get("run")
		s.byRun[run] = append(s.byRun[run], recordedArrival{At: at, Stamped: stamped, Index: i})
		s.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	srv.Listener = netstamp.Listener{Listener: srv.Listener}
	srv.Config.ConnContext = netstamp.ConnContext
	srv.Start()
	t.Cleanup(srv.Close)
	s.URL = srv.URL
	s.warmUp(t)
	return s
}

// warmUp sends requests until the server's reads carry kernel stamps: Linux turns receive
// timestamps on for the machine a moment after the first socket asks (and off once no socket
// asks), and data that arrived meanwhile has none. Its connection stays open until the test ends,
// so stamps stay on for the connections k6 opens. The warm-up requests are forgotten.
func (s *arrivalServer) warmUp(t *testing.T) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
	t.Cleanup(client.CloseIdleConnections)
	for range 200 {
		req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, s.URL+"/arrival?run=warmup&i=0", nil)
		require.NoError(t, err)
		resp, err := client.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		s.mu.Lock()
		warm := s.byRun["warmup"]
		stamped := warm[len(warm)-1].Stamped
		if stamped {
			delete(s.byRun, "warmup")
		}
		s.mu.Unlock()
		if stamped {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Log("the kernel never stamped a request: arrivals are timed when the handler runs")
}

// arrivals returns the run's requests in the order the server read them.
func (s *arrivalServer) arrivals(run string) []recordedArrival {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := slices.Clone(s.byRun[run])
	slices.SortFunc(out, func(a, b recordedArrival) int { return a.At.Compare(b.At) })
	return out
}

// indexes returns the sorted arrival indexes of run, failing on a duplicate.
func (s *arrivalServer) indexes(t *testing.T, run string) []int64 {
	t.Helper()
	arrivals := s.arrivals(run)
	idx := make([]int64, 0, len(arrivals))
	for _, a := range arrivals {
		idx = append(idx, a.Index)
	}
	slices.Sort(idx)
	require.Equal(t, len(idx), len(slices.Compact(slices.Clone(idx))), "run %s: an arrival index came twice", run)
	return idx
}

// serverGaps are the gaps between consecutive requests of run as the server saw them, in seconds.
func serverGaps(arrivals []recordedArrival) []float64 {
	gaps := make([]float64, 0, len(arrivals))
	for i := 1; i < len(arrivals); i++ {
		gaps = append(gaps, arrivals[i].At.Sub(arrivals[i-1].At).Seconds())
	}
	return gaps
}

// coefficientOfVariation is the sample standard deviation over the mean.
func coefficientOfVariation(xs []float64) float64 {
	mean, v := 0.0, 0.0
	for _, x := range xs {
		mean += x
	}
	mean /= float64(len(xs))
	for _, x := range xs {
		v += (x - mean) * (x - mean)
	}
	return math.Sqrt(v/float64(len(xs)-1)) / mean
}

// arrivalRun runs testdata/arrival/<script> with env plus URL and RUN=run.
func arrivalRun(t *testing.T, srv *arrivalServer, script, run string, env map[string]string, flags ...string) K6Run {
	t.Helper()
	all := map[string]string{"URL": srv.URL, "RUN": run}
	maps.Copy(all, env)
	return RunK6(t, "testdata/arrival/"+script, all, flags...)
}

// The server's clock is a poor witness of sub-millisecond gaps on a loaded 2-core machine: process
// and goroutine scheduling clump arrivals that come due close together and stall others (requests
// of 100 ms and more were seen while other builds ran). So the statistics are checked on the
// arrivals the server saw, identified by their index in the seeded sequence (which the test
// regenerates with executor/arrival, the generator the executor runs), and the server's clock is
// asked only to confirm that each arrival came at its scheduled time, to within trackWithin, for
// most arrivals. Arrivals started evenly spaced or in the wrong order drift from a Poisson schedule
// by about sqrt(n)/rate (≈ 140 ms after 1,250 arrivals at 250/s) and fail that check.
const (
	trackWithin = 50 * time.Millisecond
	trackShare  = 0.75
)

// trackedShare counts the deviations (server time − scheduled time) within trackWithin of their
// median.
func trackedShare(deviations []time.Duration) int {
	median := slices.Sorted(slices.Values(deviations))[len(deviations)/2]
	tracked := 0
	for _, dev := range deviations {
		if (dev - median).Abs() <= trackWithin {
			tracked++
		}
	}
	return tracked
}

// checkArrivalsFollowTheSchedule runs poisson.js at rate for seconds with burstiness k and seed,
// and checks the arrivals the server saw against the seeded sequence.
func checkArrivalsFollowTheSchedule(t *testing.T, k float64, seed uint64) {
	t.Helper()
	const rate, seconds = 250.0, 10.0
	srv := newArrivalServer(t)
	run := arrivalRun(t, srv, "poisson.js", "run", map[string]string{
		"RATE": "250", "DURATION": "10s", "VUS": "300", "BURSTINESS": fmt.Sprint(k), "SEED": fmt.Sprint(seed),
	})
	require.Equal(t, 0, run.ExitCode)
	profile, err := arrival.ConstantRate(rate, seconds*time.Second)
	require.NoError(t, err)
	schedule, err := arrival.All(arrival.Options{Profile: profile, Burstiness: k, Seed: seed})
	require.NoError(t, err)

	seen := srv.arrivals("run")
	dropped := run.Sum("dropped_iterations")
	require.Equal(t, len(schedule), len(seen)+int(dropped), "every scheduled arrival started or counted as dropped")
	require.InDelta(t, rate*seconds, float64(len(schedule)), 4*math.Sqrt(rate*seconds/k), "count within 4 sigma (variance mean/k)")
	require.GreaterOrEqual(t, len(seen), 2000)

	// The arrivals the server saw, in scheduled order, and how far each came from its schedule.
	idx := srv.indexes(t, "run")
	at := map[int64]time.Time{}
	for _, a := range seen {
		at[a.Index] = a.At
	}
	scheduled := make([]float64, 0, len(idx))
	deviations := make([]time.Duration, 0, len(idx))
	for _, i := range idx {
		require.Less(t, i, int64(len(schedule)), "index %d is not in the sequence", i)
		scheduled = append(scheduled, schedule[i].At.Seconds())
		deviations = append(deviations, at[i].Sub(seen[0].At)-schedule[i].At)
	}
	gaps := make([]float64, 0, len(scheduled))
	for i := 1; i < len(scheduled); i++ {
		gaps = append(gaps, scheduled[i]-scheduled[i-1])
	}
	cv := coefficientOfVariation(gaps)
	require.InDelta(t, 1/math.Sqrt(k), cv, 0.1/math.Sqrt(k), "CV of the served arrivals' gaps")
	if k == 1 {
		d, _ := arrival.KSExponential(gaps, rate)
		critical := 1.95 / math.Sqrt(float64(len(gaps))) // one-sample KS at alpha = 0.001
		require.Less(t, d, critical, "the served arrivals' gaps are not exponential")
		t.Logf("KS D = %.4f (critical %.4f)", d, critical)
	}

	tracked := trackedShare(deviations)
	serverCV := coefficientOfVariation(serverGaps(seen))
	t.Logf("%d arrivals (%v dropped), CV %.3f; at the server: CV %.3f, %d of %d within %s of their schedule",
		len(seen), dropped, cv, serverCV, tracked, len(deviations), trackWithin)
	require.GreaterOrEqual(t, float64(tracked), trackShare*float64(len(deviations)),
		"the server saw the arrivals at their scheduled times")
}

func TestPoissonArrivalsReachTheServerAsAPoissonProcess(t *testing.T) {
	checkArrivalsFollowTheSchedule(t, 1, 2027)
}

func TestBurstyArrivalsHaveTheCoefficientOfVariationOfTheirBurstiness(t *testing.T) {
	checkArrivalsFollowTheSchedule(t, 0.25, 31)
}

func TestSegmentRunsWithOneSeedStartTheSingleRunsArrivals(t *testing.T) {
	t.Parallel() // asserts sets and counts; a stalled machine's drops are accounted for, not timed
	srv := newArrivalServer(t)
	env := map[string]string{"RATE": "300", "DURATION": "2s", "VUS": "300", "BURSTINESS": "0.5", "SEED": "777"}
	single := arrivalRun(t, srv, "poisson.js", "single", env)
	first := arrivalRun(t, srv, "poisson.js", "first", env,
		"--execution-segment", "0:1/2", "--execution-segment-sequence", "0,1/2,1")
	second := arrivalRun(t, srv, "poisson.js", "second", env,
		"--execution-segment", "1/2:1", "--execution-segment-sequence", "0,1/2,1")
	for _, r := range []K6Run{single, first, second} {
		require.Equal(t, 0, r.ExitCode)
	}
	profile, err := arrival.ConstantRate(300, 2*time.Second)
	require.NoError(t, err)
	schedule, err := arrival.All(arrival.Options{Profile: profile, Burstiness: 0.5, Seed: 777})
	require.NoError(t, err)
	n := len(schedule)

	all := srv.indexes(t, "single")
	a, b := srv.indexes(t, "first"), srv.indexes(t, "second")
	require.NotEmpty(t, a)
	require.NotEmpty(t, b)
	for _, i := range a {
		_, found := slices.BinarySearch(b, i)
		require.False(t, found, "arrival %d started on both instances", i)
	}
	union := slices.Sorted(slices.Values(append(slices.Clone(a), b...)))
	for _, idx := range [][]int64{all, union} {
		require.Less(t, idx[len(idx)-1], int64(n), "only the sequence's arrivals start")
	}
	// Every arrival of the sequence is started or counted as dropped, once over the instances.
	require.Equal(t, n, len(all)+int(single.Sum("dropped_iterations")))
	require.Equal(t, n, len(union)+int(first.Sum("dropped_iterations")+second.Sum("dropped_iterations")))
	require.InDelta(t, len(a), len(b), 4*math.Sqrt(float64(n)), "the stripes share the arrivals about evenly")
	if single.Sum("dropped_iterations")+first.Sum("dropped_iterations")+second.Sum("dropped_iterations") == 0 {
		require.Equal(t, all, union, "the two instances together start exactly the single run's arrivals")
	} else {
		t.Logf("arrivals were dropped (a stalled machine): compared the accounting, not the sets")
	}
}

func TestArrivalsWithoutASeedLogTheSeedThatRepeatsThem(t *testing.T) {
	srv := newArrivalServer(t)
	env := map[string]string{"RATE": "300", "DURATION": "1s", "VUS": "50"}
	first := arrivalRun(t, srv, "poisson.js", "unseeded", env)
	require.Equal(t, 0, first.ExitCode)
	seeds := regexp.MustCompile(`arrival seed (\d+)`).FindAllStringSubmatch(first.Stderr, -1)
	require.Len(t, seeds, 1, "the chosen seed is logged exactly once")

	env["SEED"] = seeds[0][1]
	again := arrivalRun(t, srv, "poisson.js", "reseeded", env)
	require.Equal(t, 0, again.ExitCode)
	require.NotContains(t, again.Stderr, "arrival seed", "a given seed is not announced")
	require.Zero(t, first.Sum("dropped_iterations")+again.Sum("dropped_iterations"))
	require.Equal(t, srv.indexes(t, "unseeded"), srv.indexes(t, "reseeded"))

	// Same seed, same schedule: each arrival index comes at the same offset from the run's first
	// arrival, to within the machine's scheduling noise, for most arrivals.
	offsets := func(run string) map[int64]time.Duration {
		arr := srv.arrivals(run)
		m := make(map[int64]time.Duration, len(arr))
		for _, a := range arr {
			m[a.Index] = a.At.Sub(arr[0].At)
		}
		return m
	}
	x, y := offsets("unseeded"), offsets("reseeded")
	near := 0
	for i, at := range x {
		if (at - y[i]).Abs() < 20*time.Millisecond {
			near++
		}
	}
	require.Greater(t, near, len(x)*9/10, "%d of %d arrivals at the same offsets", near, len(x))
}

func TestArrivalsWithoutAFreeVUAreDroppedAndCounted(t *testing.T) {
	t.Parallel() // asserts counts, not timing
	srv := newArrivalServer(t)
	run := arrivalRun(t, srv, "poisson.js", "starved", map[string]string{
		"RATE": "200", "DURATION": "2s", "VUS": "1", "MAX_VUS": "2", "SLEEP": "0.1", "SEED": "5",
	})
	require.Equal(t, 0, run.ExitCode)
	served := len(srv.arrivals("starved"))
	dropped := run.Sum("dropped_iterations")
	t.Logf("served %d, dropped %v", served, dropped)
	require.Greater(t, dropped, 200.0, "two VUs busy 100 ms each cannot take 200 arrivals/s")
	require.LessOrEqual(t, float64(served), 2*2/0.1+2, "at most two VUs' worth of iterations ran")
	require.InDelta(t, 400, float64(served)+dropped, 4*math.Sqrt(400), "every planned arrival is served or counted")
	require.Equal(t, float64(served), run.Sum("iterations"))
	require.Equal(t, 1, strings.Count(run.Stderr, "arrivals are dropped"), "the warning comes once")
	maxVUs := 0.0
	for _, s := range run.Where("vus_max") {
		maxVUs = max(maxVUs, s.Value)
	}
	require.InDelta(t, 2, maxVUs, 0, "maxVUs initialises one VU beyond preAllocatedVUs")
}

func TestRampingPoissonArrivalsFollowTheStages(t *testing.T) {
	srv := newArrivalServer(t)
	run := arrivalRun(t, srv, "ramping.js", "ramp", nil)
	require.Equal(t, 0, run.ExitCode)
	// ramping.js: 0 → 1000/s over 4 s, seed 17; a quarter of the arrivals come in the first half.
	profile, err := arrival.RampingRate(0, []arrival.Stage{{Duration: 4 * time.Second, Target: 1000}})
	require.NoError(t, err)
	schedule, err := arrival.All(arrival.Options{Profile: profile, Burstiness: 1, Seed: 17})
	require.NoError(t, err)
	require.InDelta(t, 2000, len(schedule), 4*math.Sqrt(2000))

	seen := srv.arrivals("ramp")
	require.Equal(t, len(schedule), len(seen)+int(run.Sum("dropped_iterations")))
	firstHalf := 0
	deviations := make([]time.Duration, 0, len(seen))
	for _, a := range seen {
		require.Less(t, a.Index, int64(len(schedule)))
		at := schedule[a.Index].At
		if at < 2*time.Second {
			firstHalf++
		}
		deviations = append(deviations, a.At.Sub(seen[0].At)-at)
	}
	want := float64(len(seen)) / 4
	tracked := trackedShare(deviations)
	t.Logf("%d arrivals, %d scheduled in the first half (want about %.0f); %d within %s of their schedule at the server",
		len(seen), firstHalf, want, tracked, trackWithin)
	require.InDelta(t, want, float64(firstHalf), 4*math.Sqrt(want))
	require.GreaterOrEqual(t, float64(tracked), trackShare*float64(len(deviations)),
		"the server saw the arrivals at their scheduled times")
}

func TestBadArrivalOptionsAreConfigErrorsAndSendNothing(t *testing.T) {
	srv := newArrivalServer(t)
	for i, tc := range []struct{ scenario, mention string }{
		{`{"executor":"poisson-arrival-rate","rate":0,"duration":"1s","preAllocatedVUs":1}`, "rate must be"},
		{`{"executor":"poisson-arrival-rate","rate":-3,"duration":"1s","preAllocatedVUs":1}`, "rate must be"},
		{`{"executor":"poisson-arrival-rate","rate":10,"duration":"1s","preAllocatedVUs":1,"burstiness":0}`, "burstiness must be"},
		{`{"executor":"poisson-arrival-rate","rate":10,"preAllocatedVUs":1}`, "duration is required"},
		{`{"executor":"poisson-arrival-rate","rate":10,"duration":"1s","preAllocatedVUs":1,"burstyness":2}`, `unknown field \"burstyness\"`},
		{`{"executor":"ramping-poisson-arrival-rate","preAllocatedVUs":1,"stages":[{"duration":"1s","target":5},{"duration":"-1s","target":5}]}`, "stages[1].duration can't be negative"},
		{`{"executor":"ramping-poisson-arrival-rate","preAllocatedVUs":1,"stages":[]}`, "stages: at least one stage"},
	} {
		run := arrivalRun(t, srv, "bad-option.js", fmt.Sprint("bad", i), map[string]string{"SCENARIO": tc.scenario})
		require.Equal(t, invalidConfigExitCode, run.ExitCode, tc.scenario)
		require.Contains(t, run.Stderr, tc.mention, tc.scenario)
		require.Empty(t, srv.arrivals(fmt.Sprint("bad", i)), "nothing is sent: %s", tc.scenario)
	}
}

func TestInspectGivesTheArrivalExamplesVUNeeds(t *testing.T) {
	// k6 inspect has no --execution-segment flag; the per-segment scaling of the requirements is
	// covered by the executor package's unit tests.
	for _, tc := range []struct {
		example string
		maxVUs  int
		total   string
	}{
		{"arrival-poisson.js", 200, "1m30s"},         // maxVUs 200; 1 m + gracefulStop 30 s
		{"arrival-ramping-poisson.js", 300, "2m30s"}, // 2 m of stages + the default gracefulStop 30 s
	} {
		args := []string{"inspect", "--execution-requirements", "../../examples/" + tc.example}
		cmd := exec.CommandContext(t.Context(), binary(t, "FW_K6"), args...)
		cmd.Env = append(os.Environ(), "K6_NO_USAGE_REPORT=true")
		out, err := cmd.Output()
		require.NoError(t, err, "%v", args)
		var got struct {
			MaxVUs        int    `json:"maxVUs"`
			TotalDuration string `json:"totalDuration"`
		}
		require.NoError(t, json.Unmarshal(out, &got))
		require.Equal(t, tc.maxVUs, got.MaxVUs, "%v", args)
		require.Equal(t, tc.total, got.TotalDuration, "%v", args)
	}
}
