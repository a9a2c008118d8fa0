package bench

import (
	"strings"
	"testing"
)

// gateRun is one client's result in run n of a cell, with the given TTFT error p50 (ms).
func gateRun(client string, users, run int, errP50 float64) Result {
	return Result{
		Meta:    Meta{Client: client, Workload: "slow", Users: users, Run: run},
		Client:  ClientSummary{Client: client, Turns: 10},
		TTFTErr: Quantiles{Count: 10, P50: errP50},
	}
}

func TestTTFTGateJudgesTheMedianOfEachRunsDifference(t *testing.T) {
	t.Parallel()
	rs := []Result{
		// 200 users: differences +0.5, +3.0, -0.2: median +0.5 passes although one run is over.
		gateRun("native", 200, 1, 2.5), gateRun("plain", 200, 1, 2.0),
		gateRun("native", 200, 2, 9.0), gateRun("plain", 200, 2, 6.0),
		gateRun("native", 200, 3, 1.0), gateRun("plain", 200, 3, 1.2),
		// 1,000 users: differences +1.5, +2.0, +0.4: median +1.5 fails.
		gateRun("native", 1000, 1, 3.5), gateRun("plain", 1000, 1, 2.0),
		gateRun("plain", 1000, 2, 6.0), gateRun("native", 1000, 2, 8.0),
		gateRun("native", 1000, 3, 1.6), gateRun("plain", 1000, 3, 1.2),
	}
	md, passed := TTFTGate(rs)
	if passed {
		t.Fatalf("the gate passed with a 1,000-user median of +1.5 ms:\n%s", md)
	}
	for _, want := range []string{
		"| slow | 200 | 3 | +0.50, +3.00, -0.20 | +0.50 | PASS |",
		"| slow | 1000 | 3 | +1.50, +2.00, +0.40 | +1.50 | FAIL |",
		"TTFT accuracy rule",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("gate lacks %q:\n%s", want, md)
		}
	}
}

func TestTTFTGatePassesWithinTheSlack(t *testing.T) {
	t.Parallel()
	md, passed := TTFTGate([]Result{gateRun("native", 1000, 1, 2.0), gateRun("plain", 1000, 1, 1.0)})
	if !passed || !strings.Contains(md, "| +1.00 | PASS |") {
		t.Fatalf("a difference of exactly +1 ms must pass:\n%s", md)
	}
}

func TestTTFTGateSkipsCellsWithoutBothClients(t *testing.T) {
	t.Parallel()
	md, passed := TTFTGate([]Result{gateRun("native", 1000, 1, 50), gateRun("websockets", 1000, 1, 1)})
	if !passed || md != "" {
		t.Fatalf("a cell without the plain client was judged:\n%s", md)
	}
}
