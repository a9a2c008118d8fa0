//go:build e2e && loadtest

package e2e

import "testing"

// TestPoissonGapsAtTheServerAreExponential at 1,000 arrivals a second. On the 2-core build machine
// it passed 3 runs of 10 with nothing else running (arrivals less than about 0.2 ms apart reach
// the server further apart, waiting for a CPU: docs/BENCHMARKS.md), so it runs only with the
// loadtest tag:
//
//	go -C fwbench test -tags e2e,loadtest -run AtTheServerAreExponentialAt1000 -v ./e2e/
func TestPoissonGapsAtTheServerAreExponentialAt1000PerSecond(t *testing.T) {
	arrivals, dropped := poissonRequestsRun(t, 1000, "4s", 300, 2032)
	checkExponentialGaps(t, arrivals, dropped, 1000)
}
