package scenario

// The extension's metrics (registered by the binding, featherweight/metrics.go). Prefixed with fw_ so
// they never clash with k6's built-ins; k6's Prometheus remote-write output exports them as k6_fw_*.
const (
	MetricChatConnecting = "fw_chat_connecting"
	MetricChatTTFT       = "fw_chat_ttft"
	MetricChatITL        = "fw_chat_itl"
	MetricChatITLMax     = "fw_chat_itl_max"
	MetricChatTPOT       = "fw_chat_tpot"
	MetricChatDuration   = "fw_chat_duration"
	MetricChatTokens     = "fw_chat_tokens" // #nosec G101 -- a metric name (LLM tokens), not a credential
	MetricChatTurns      = "fw_chat_turns"
	MetricChatFailed     = "fw_chat_failed"
	MetricChatErrors     = "fw_chat_errors"
	MetricChatGoodput    = "fw_chat_goodput"

	MetricLoopHz         = "fw_loop_hz"
	MetricHzScrapeTime   = "fw_hz_scrape_duration"
	MetricHzScrapeFailed = "fw_hz_scrape_failed"
	MetricHzReadings     = "fw_hz_readings"
)

// The bundled scenario's own metrics (defined by examples/featherweight-load.js) and the threshold
// keys of submetrics the tools read.
const (
	// MetricErrorRate is a Rate with one sample per chat turn, 1 when the turn failed.
	MetricErrorRate = "error_rate"
	// MetricTurnsOK counts successful turns; its count>0 threshold fails a run with none.
	MetricTurnsOK = "chat_turns_ok"
	// MetricRunInfo is the Gauge each runner writes once (FW_TESTID set) with the run's identity and
	// thresholds as tags.
	MetricRunInfo = "fw_run_info"
	// KeyHzChecks is the Hz checks' submetric: one sample per judged reading.
	KeyHzChecks = "checks{type:hz}"
	// KeyHzReadingsPassed counts the judged readings that passed.
	KeyHzReadingsPassed = MetricHzReadings + "{result:passed}"
	// KeyHzReadingsFailed counts the judged readings that failed.
	KeyHzReadingsFailed = MetricHzReadings + "{result:failed}"
)

// MetricNames lists the extension's metrics, in the binding's order.
func MetricNames() []string {
	return []string{
		MetricChatConnecting, MetricChatTTFT, MetricChatITL, MetricChatITLMax, MetricChatTPOT,
		MetricChatDuration, MetricChatTokens, MetricChatTurns, MetricChatFailed, MetricChatErrors,
		MetricChatGoodput, MetricLoopHz, MetricHzScrapeTime, MetricHzScrapeFailed, MetricHzReadings,
	}
}
