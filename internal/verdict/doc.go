// Package verdict judges a distributed run of the bundled scenario (examples/featherweight-load.js)
// as one run: it reads the samples that every runner remote-wrote to one Prometheus server (k6's
// experimental-prometheus-rw output with Trends as native histograms), merges them, and evaluates the
// scenario's own thresholds on the merged data.
//
// One source of truth: the thresholds are not listed here. With FW_TESTID set, every runner of the
// scenario writes one fw_run_info sample whose labels carry the run's identity and its
// options.thresholds as JSON; Evaluate reads them back and refuses runners that disagree.
//
// Merging: k6 writes a Counter as the cumulative k6_<name>_total of each series, so a total is the sum
// of every series' last value. A Trend is a cumulative native histogram per series; the sum of the
// last histograms is the run's histogram, whose count and sum are exact (avg = sum/count) and whose
// percentiles are histogram_quantile estimates (k6 uses bucket factor 1.1, about ±4.5%). A Rate
// arrives as a per-series ratio (k6_<name>_rate) that cannot be merged; the rates the scenario judges
// are therefore computed from counters (RateCounts): error_rate and fw_chat_failed from
// fw_chat_errors/fw_chat_turns, checks{type:hz} from fw_hz_readings{result}. A threshold on any other
// Rate is refused (ErrBadInput), never passed.
package verdict
