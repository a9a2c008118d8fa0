package compare

import "github.com/featherweight/xk6-featherweight/internal/scenario"

// Kind says how a figure is judged.
type Kind int

const (
	// Info figures are shown but never judged (e.g. the turn count, which depends on the run's length).
	Info Kind = iota
	// Latency figures regress when they grow beyond Tolerances.Latency and LatencyFloor.
	Latency
	// TailLatency figures (p99) are judged like Latency with Tolerances.TailLatency.
	TailLatency
	// Throughput figures regress when they drop beyond Tolerances.Throughput.
	Throughput
	// ErrorShare figures regress when they grow by more than Tolerances.ErrorRate (absolute).
	ErrorShare
	// HzAvg regresses when it drops by more than Tolerances.HzAvg (absolute Hz).
	HzAvg
	// HzMin regresses when it drops by more than Tolerances.HzMin (absolute Hz).
	HzMin
	// FailedThresholds regresses when NEW failed more of its own thresholds than BASE.
	FailedThresholds
)

// Figure is one row of the comparison: a metric aggregate of the k6 summary.
type Figure struct {
	// Label is the row's name in the table, e.g. "TTFT p95".
	Label string
	// Metric and Stat locate the value: Metrics[Metric].Values[Stat], e.g. fw_chat_ttft, p(95).
	Metric, Stat string
	// Kind says how the figure is judged.
	Kind Kind
	// Samples names the counter whose count approximates the figure's number of samples (used to
	// leave a p99 of too few samples unjudged); empty when it does not matter.
	Samples string
}

// ID names the figure by its k6 metric and aggregate, e.g. "fw_chat_ttft p(95)".
func (f Figure) ID() string {
	if f.Stat == "" {
		return f.Metric
	}
	return f.Metric + " " + f.Stat
}

// The k6 metrics that several figures read.
const (
	metricTurns = scenario.MetricChatTurns
	metricTTFT  = scenario.MetricChatTTFT
	metricITL   = scenario.MetricChatITL
	metricTPOT  = scenario.MetricChatTPOT
	metricHz    = scenario.MetricLoopHz
)

// thresholdsRow is the pseudo-metric of the failed-thresholds row.
const thresholdsRow = "thresholds"

// Figures are the key figures of a Featherweight run, in table order.
func Figures() []Figure {
	return []Figure{
		{"turns", metricTurns, "count", Info, ""},
		{"turns/s", metricTurns, "rate", Throughput, ""},
		{"error rate", scenario.MetricErrorRate, "rate", ErrorShare, ""},
		{"TTFT p50", metricTTFT, "med", Latency, ""},
		{"TTFT p90", metricTTFT, "p(90)", Latency, ""},
		{"TTFT p95", metricTTFT, "p(95)", Latency, ""},
		{"TTFT p99", metricTTFT, "p(99)", TailLatency, metricTurns},
		{"ITL p50", metricITL, "med", Latency, ""},
		{"ITL p95", metricITL, "p(95)", Latency, ""},
		{"ITL p99", metricITL, "p(99)", TailLatency, scenario.MetricChatTokens},
		{"TPOT p50", metricTPOT, "med", Latency, ""},
		{"TPOT p95", metricTPOT, "p(95)", Latency, ""},
		{"TPOT p99", metricTPOT, "p(99)", TailLatency, metricTurns},
		{"tokens/s", scenario.MetricChatTokens, "rate", Throughput, ""},
		{"Hz avg", metricHz, "avg", HzAvg, ""},
		{"Hz min", metricHz, "min", HzMin, ""},
		{"failed thresholds", thresholdsRow, "", FailedThresholds, ""},
	}
}

// samples returns the figure's approximate sample count in s, or -1 when unknown.
func (f Figure) samples(s *Summary) float64 {
	if m, ok := s.Metrics[f.Samples]; ok {
		if n, ok := m.Values["count"]; ok {
			return n
		}
	}
	return -1
}

// value returns the figure's value in s and whether s has it.
func (f Figure) value(s *Summary) (float64, bool) {
	if f.Metric == thresholdsRow {
		return float64(s.FailedThresholds()), true
	}
	m, ok := s.Metrics[f.Metric]
	if !ok {
		return 0, false
	}
	v, ok := m.Values[f.Stat]
	return v, ok
}
