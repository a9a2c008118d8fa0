package featherweight

import (
	"go.k6.io/k6/metrics"

	"github.com/featherweight/xk6-featherweight/internal/scenario"
)

// Metric names: the one list is in internal/scenario, which the tools that judge the bundled
// scenario share. k6's Prometheus remote-write output exports them as k6_fw_*.
const (
	MetricChatConnecting = scenario.MetricChatConnecting
	MetricChatTTFT       = scenario.MetricChatTTFT
	MetricChatITL        = scenario.MetricChatITL
	MetricChatITLMax     = scenario.MetricChatITLMax
	MetricChatTPOT       = scenario.MetricChatTPOT
	MetricChatDuration   = scenario.MetricChatDuration
	MetricChatTokens     = scenario.MetricChatTokens
	MetricChatTurns      = scenario.MetricChatTurns
	MetricChatFailed     = scenario.MetricChatFailed
	MetricChatErrors     = scenario.MetricChatErrors
	MetricChatGoodput    = scenario.MetricChatGoodput

	MetricLoopHz         = scenario.MetricLoopHz
	MetricHzScrapeTime   = scenario.MetricHzScrapeTime
	MetricHzScrapeFailed = scenario.MetricHzScrapeFailed
	MetricHzReadings     = scenario.MetricHzReadings
)

// fwMetrics is the one fixed set of custom metrics the extension emits.
type fwMetrics struct {
	ChatConnecting *metrics.Metric // Trend, time (ms): TCP+TLS+WebSocket handshake
	ChatTTFT       *metrics.Metric // Trend, time: prompt written -> first token-bearing frame
	// ChatITL: Trend, time: one sample per gap between token-bearing frames (itl: 'summary': per
	// turn, its mean gap).
	ChatITL      *metrics.Metric
	ChatITLMax   *metrics.Metric // Trend, time: per turn, its largest gap (itl: 'summary' only)
	ChatTPOT     *metrics.Metric // Trend, time: (duration-ttft)/(tokens-1), when tokens > 1
	ChatDuration *metrics.Metric // Trend, time: prompt written -> terminal frame
	ChatTokens   *metrics.Metric // Counter: tokens per turn
	ChatTurns    *metrics.Metric // Counter: one per turn attempted
	ChatFailed   *metrics.Metric // Rate: one sample per turn, 1 = failed
	ChatErrors   *metrics.Metric // Counter, tagged error_kind
	ChatGoodput  *metrics.Metric // Rate: turn succeeded and met the SLOs

	LoopHz         *metrics.Metric // Trend (not time): loop frequency in Hz
	HzScrapeTime   *metrics.Metric // Trend, time
	HzScrapeFailed *metrics.Metric // Rate, tagged error_kind when failed
	// HzReadings: Counter, one per judged reading (each checks{type:hz} sample), tagged result
	// passed|failed: the counts from which a check rate merges across runners.
	HzReadings *metrics.Metric

	// sketchGauges: per chat Trend, the Gauge `<trend>_sketch` (tag stat) that carries its run-wide
	// statistics when the Trend is sketched (trends: 'sketch').
	sketchGauges map[string]*metrics.Metric
}

// registerMetrics registers (or fetches, the registry is idempotent) every fw_ metric.
func registerMetrics(r *metrics.Registry) (*fwMetrics, error) {
	var firstErr error
	reg := func(name string, typ metrics.MetricType, vt ...metrics.ValueType) *metrics.Metric {
		m, err := r.NewMetric(name, typ, vt...)
		if err != nil && firstErr == nil {
			firstErr = err
		}
		return m
	}
	m := &fwMetrics{
		ChatConnecting: reg(MetricChatConnecting, metrics.Trend, metrics.Time),
		ChatTTFT:       reg(MetricChatTTFT, metrics.Trend, metrics.Time),
		ChatITL:        reg(MetricChatITL, metrics.Trend, metrics.Time),
		ChatITLMax:     reg(MetricChatITLMax, metrics.Trend, metrics.Time),
		ChatTPOT:       reg(MetricChatTPOT, metrics.Trend, metrics.Time),
		ChatDuration:   reg(MetricChatDuration, metrics.Trend, metrics.Time),
		ChatTokens:     reg(MetricChatTokens, metrics.Counter),
		ChatTurns:      reg(MetricChatTurns, metrics.Counter),
		ChatFailed:     reg(MetricChatFailed, metrics.Rate),
		ChatErrors:     reg(MetricChatErrors, metrics.Counter),
		ChatGoodput:    reg(MetricChatGoodput, metrics.Rate),
		LoopHz:         reg(MetricLoopHz, metrics.Trend),
		HzScrapeTime:   reg(MetricHzScrapeTime, metrics.Trend, metrics.Time),
		HzScrapeFailed: reg(MetricHzScrapeFailed, metrics.Rate),
		HzReadings:     reg(MetricHzReadings, metrics.Counter),
	}
	m.sketchGauges = map[string]*metrics.Metric{}
	sketchable := []*metrics.Metric{m.ChatConnecting, m.ChatTTFT, m.ChatITL, m.ChatITLMax, m.ChatTPOT, m.ChatDuration}
	for _, t := range sketchable {
		if t != nil {
			m.sketchGauges[t.Name] = reg(t.Name+sketchSuffix, metrics.Gauge, metrics.Time)
		}
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return m, nil
}

// metricBool is a Rate sample's value: 1 for true.
func metricBool(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
