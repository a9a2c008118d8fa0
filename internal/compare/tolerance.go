package compare

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Tolerances say how much worse NEW may be than BASE before a figure is a regression. The defaults
// are wide enough for the run-to-run noise of two smoke runs on one shared 2-core machine and tight
// enough to catch a backend that got measurably slower, less reliable or whose loop slowed.
type Tolerances struct {
	// Latency is the relative increase allowed in a TTFT/ITL/TPOT percentile. Default 0.20 (20%).
	Latency Fraction
	// TailLatency is the relative increase allowed in a p99: with a few hundred samples a p99 is
	// one of the slowest handful and moves by 20-30% between identical runs. Default 0.50 (50%).
	TailLatency Fraction
	// TailLatencyFloor is the floor for a p99: the slowest 1% of 15 ms token gaps is where a busy
	// load generator's scheduling hiccups land, and moved by 13 ms between two identical smoke runs.
	// Default 25ms.
	TailLatencyFloor time.Duration
	// TailMinSamples is the number of samples a p99 needs, in both runs, to be judged at all:
	// below it the p99 is one of the run's few slowest values and is only shown. Default 1000.
	TailMinSamples int
	// LatencyFloor is an increase always allowed, whatever its relative size: small latencies are
	// noisy in relative terms (a 15 ms ITL p99 moving by 6 ms is +40%). Default 10ms.
	LatencyFloor time.Duration
	// Throughput is the relative drop allowed in turns/s and tokens/s. Default 0.15 (15%).
	Throughput Fraction
	// ErrorRate is the absolute increase allowed in the failed share of turns. Default 0.005
	// (half a percentage point).
	ErrorRate Fraction
	// HzAvg is the drop allowed in the loop's average frequency, in Hz. Default 2.
	HzAvg float64
	// HzMin is the drop allowed in the loop's lowest reading, in Hz. Default 10: one late scrape on
	// a busy machine moves the minimum much more than the average.
	HzMin float64
}

// DefaultTolerances returns the documented defaults.
func DefaultTolerances() Tolerances {
	return Tolerances{
		Latency:          0.20,
		TailLatency:      0.50,
		TailLatencyFloor: 25 * time.Millisecond,
		TailMinSamples:   1000,
		LatencyFloor:     10 * time.Millisecond,
		Throughput:       0.15,
		ErrorRate:        0.005,
		HzAvg:            2,
		HzMin:            10,
	}
}

// Fraction is a non-negative ratio that parses from "20%" or "0.2" (a flag.Value).
type Fraction float64

// String formats f as a percentage.
func (f *Fraction) String() string {
	if f == nil {
		return ""
	}
	return strconv.FormatFloat(float64(*f)*100, 'f', -1, 64) + "%"
}

// Set parses "20%" or "0.2".
func (f *Fraction) Set(s string) error {
	v, err := ParseFraction(s)
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// ParseFraction parses "20%" (= 0.2) or a plain ratio "0.2"; negative values are refused.
func ParseFraction(s string) (Fraction, error) {
	t := strings.TrimSpace(s)
	scale := 1.0
	if p, ok := strings.CutSuffix(t, "%"); ok {
		t, scale = strings.TrimSpace(p), 0.01
	}
	v, err := strconv.ParseFloat(t, 64)
	if err != nil || v < 0 || v != v {
		return 0, fmt.Errorf("%q: expected a non-negative ratio such as 0.2 or 20%%", s)
	}
	return Fraction(v * scale), nil
}
