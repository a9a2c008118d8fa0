package capacity

import (
	"math"
	"sort"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// Step is the outcome of one step: k6's verdicts and the key figures of its summary.
type Step struct {
	Users   int     `json:"users"`
	Pass    bool    `json:"pass"`
	Seconds float64 `json:"seconds"` // wall time of the k6 run
	// Confirming marks a re-run of a deciding step (Options.Confirm).
	Confirming bool `json:"confirming,omitempty"`

	Turns        int64    `json:"turns"`
	ErrorRate    *float64 `json:"error_rate"` // error_rate's rate (failed turns / turns)
	TTFTP50      *float64 `json:"ttft_p50_ms"`
	TTFTP95      *float64 `json:"ttft_p95_ms"`
	TTFTP99      *float64 `json:"ttft_p99_ms"`
	ITLP50       *float64 `json:"itl_p50_ms"`
	TokensPerSec *float64 `json:"tokens_per_s"`
	HzAvg        *float64 `json:"hz_avg"`
	HzMin        *float64 `json:"hz_min"`

	// Failed lists the thresholds k6 judged failed, the one that broke furthest first.
	Failed     []Breach  `json:"failed_thresholds"`
	Thresholds int       `json:"thresholds"` // how many thresholds k6 judged
	K6Exit     int       `json:"k6_exit_code"`
	Generator  Generator `json:"generator"`
	SummaryAt  string    `json:"summary"` // path of the step's summary.json
	// Limits are the script's bounds for the charted figures, read from its thresholds.
	Limits Limits `json:"limits"`
}

// Limits are the bounds of the thresholds on the charted figures (nil: the script has none).
type Limits struct {
	TTFTP95   *float64 `json:"ttft_p95_ms,omitempty"`
	ErrorRate *float64 `json:"error_rate,omitempty"`
	HzAvg     *float64 `json:"hz_avg,omitempty"`
}

// Generator is the load generator's own resource use during a step: how to tell that the
// generator, not the backend, was the bottleneck.
type Generator struct {
	// K6Cores is k6's CPU time (user+system) over the step's wall time, in cores.
	K6Cores float64 `json:"k6_cores"`
	// BackendCores is the managed fwsim's CPU over the same span (0 when the backend is remote).
	BackendCores float64 `json:"backend_cores,omitempty"`
	// HostBusy is the whole machine's busy share over the step (0..1), from /proc/stat; -1 if unknown.
	HostBusy float64 `json:"host_busy"`
	// OtherCores is the machine's busy CPU not used by k6 or the managed fwsim (other processes,
	// other users of a shared machine), in cores; 0 when unknown.
	OtherCores float64 `json:"other_cores"`
	// CPUs is the number of CPUs of the machine running k6.
	CPUs int `json:"cpus"`
	// Saturated is true when the host was >= 90% busy or k6 used >= 80% of the CPUs: the step's
	// figures may measure the generator rather than the backend.
	Saturated bool `json:"saturated"`
}

// judgeGenerator sets Saturated.
func (g *Generator) judgeGenerator() {
	if g.HostBusy >= 0 {
		g.OtherCores = max(0, g.HostBusy*float64(g.CPUs)-g.K6Cores-g.BackendCores)
	}
	g.Saturated = g.HostBusy >= 0.9 || (g.CPUs > 0 && g.K6Cores >= 0.8*float64(g.CPUs))
}

// stepFromSummary fills the figures and verdicts of a step from k6's summary.
func stepFromSummary(users int, s *scenario.Summary) Step {
	st := Step{Users: users}
	st.Failed, st.Thresholds = breaches(s)
	st.Pass = len(st.Failed) == 0
	sortBreaches(st.Failed)
	if v := value(s, scenario.MetricChatTurns, "count"); v != nil {
		st.Turns = int64(*v)
	}
	st.ErrorRate = value(s, scenario.MetricErrorRate, "rate")
	st.TTFTP50 = value(s, scenario.MetricChatTTFT, "med")
	st.TTFTP95 = value(s, scenario.MetricChatTTFT, "p(95)")
	st.TTFTP99 = value(s, scenario.MetricChatTTFT, "p(99)")
	st.ITLP50 = value(s, scenario.MetricChatITL, "med")
	st.TokensPerSec = value(s, scenario.MetricChatTokens, "rate")
	st.HzAvg = value(s, scenario.MetricLoopHz, "avg")
	st.HzMin = value(s, scenario.MetricLoopHz, "min")
	st.Limits = Limits{
		TTFTP95:   s.Limit(scenario.MetricChatTTFT, "p(95)"),
		ErrorRate: s.Limit(scenario.MetricErrorRate, "rate"),
		HzAvg:     s.Limit(scenario.MetricLoopHz, "avg"),
	}
	return st
}

// sortBreaches orders breaches by severity, the furthest past its bound first (stable on name).
func sortBreaches(b []Breach) {
	sort.SliceStable(b, func(i, j int) bool { return b[i].Severity > b[j].Severity })
}

// val reads an optional figure as NaN when missing.
func val(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}
