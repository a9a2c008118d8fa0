// Package capacitytest lets a test binary stand in for k6 in the capacity search's tests: a k6 whose
// verdicts follow a model backend that holds every threshold up to FAKE_KNEE users (or sessions/s).
package capacitytest

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
)

// Env is the environment entry that makes a test binary act as k6 (see ServeIfAsked).
const Env = "CAPACITY_TEST_AS_K6=1"

// ServeIfAsked acts as k6 and exits when the environment holds Env; call it first in TestMain and
// give the test binary (os.Executable) as the k6 binary, with Env in the step's environment.
func ServeIfAsked() {
	if os.Getenv("CAPACITY_TEST_AS_K6") == "1" {
		os.Exit(fakeK6(os.Args[1:]))
	}
}

// fakeK6 checks the arguments and environment the runner passes, then writes a summary in which the
// loop holds up to FAKE_KNEE users or sessions/s (Hz = 100 * knee / load past it) and exits as k6 does
// (0 pass, 99 thresholds failed). FAKE_EXIT forces another exit code; FAKE_LIE exits 0 anyway;
// FAKE_FLIP flips one re-run; FAKE_GOODPUT and FAKE_DROP set the goodput and the dropped share.
func fakeK6(args []string) int {
	if len(args) == 0 || args[0] != "run" {
		fmt.Fprintln(os.Stderr, "fake k6: expected run, got", args)
		return 2
	}
	for _, name := range []string{"FW_RAMP", "FW_HOLD", "FW_RAMP_DOWN", "FW_OUT_DIR", "K6_NO_USAGE_REPORT"} {
		if os.Getenv(name) == "" {
			fmt.Fprintln(os.Stderr, "fake k6: missing", name)
			return 2
		}
	}
	if os.Getenv("FW_HZ_HOLD_ONLY") != "1" {
		fmt.Fprintln(os.Stderr, "fake k6: FW_HZ_HOLD_ONLY is not 1")
		return 2
	}
	if code := os.Getenv("FAKE_EXIT"); code != "" {
		fmt.Fprintln(os.Stderr, "fake k6: script error")
		n, _ := strconv.Atoi(code)
		return n
	}
	// The load: FW_VUS users, or FW_RATE sessions/s under the open model (which must come with FW_MAX_VUS).
	load, _ := strconv.ParseFloat(os.Getenv("FW_VUS"), 64)
	if os.Getenv("FW_ARRIVAL") == "poisson" {
		if os.Getenv("FW_MAX_VUS") == "" {
			fmt.Fprintln(os.Stderr, "fake k6: FW_RATE without FW_MAX_VUS")
			return 2
		}
		load, _ = strconv.ParseFloat(os.Getenv("FW_RATE"), 64)
	}
	knee := 1_000_000.0
	if v := os.Getenv("FAKE_KNEE"); v != "" {
		knee, _ = strconv.ParseFloat(v, 64)
	}
	hz, ok, code := 100.0, true, 0
	if load > knee {
		hz, ok, code = math.Floor(100*knee/load), false, 99
	}
	tag := strconv.FormatFloat(load, 'f', -1, 64)
	// FAKE_FLIP=<load>: the first re-run at that load (FW_OUT_DIR .../step-<load>-run2) gets the other verdict.
	if flip := os.Getenv("FAKE_FLIP"); flip == tag &&
		filepath.Base(os.Getenv("FW_OUT_DIR")) == "step-"+flip+"-run2" {
		if ok {
			hz, ok, code = 90, false, 99
		} else {
			hz, ok, code = 100, true, 0
		}
	}
	if !goodputOK() {
		code = 99
	}
	if os.Getenv("FAKE_LIE") != "" {
		code = 0
	}
	if err := writeSummary(load, hz, ok); err != nil {
		fmt.Fprintln(os.Stderr, "fake k6:", err)
		return 2
	}
	fmt.Println("fake k6 ran at", tag)
	if os.Getenv("FW_ARRIVAL") == "poisson" {
		fmt.Printf("FW_RATE=%s FW_VUS=%s FW_MAX_VUS=%s\n", os.Getenv("FW_RATE"), os.Getenv("FW_VUS"), os.Getenv("FW_MAX_VUS"))
	}
	return code
}

// goodput is FAKE_GOODPUT (default 1), the share of turns meeting the slo.
func goodput() float64 {
	g := 1.0
	if v := os.Getenv("FAKE_GOODPUT"); v != "" {
		g, _ = strconv.ParseFloat(v, 64)
	}
	return g
}

// goodputThreshold is the fw_chat_goodput threshold of the summary, as the bundled scenario adds it
// when FW_GOODPUT_MIN is set (none with FAKE_NO_GOODPUT_THRESHOLD: a script that does not judge goodput).
func goodputThreshold() (expr string, set bool) {
	v := os.Getenv("FW_GOODPUT_MIN")
	if v == "" || os.Getenv("FAKE_NO_GOODPUT_THRESHOLD") != "" {
		return "", false
	}
	return "rate>=" + v, true
}

// goodputOK judges FAKE_GOODPUT against FW_GOODPUT_MIN, as k6 judges the threshold.
func goodputOK() bool {
	if _, set := goodputThreshold(); !set {
		return true
	}
	lim, _ := strconv.ParseFloat(os.Getenv("FW_GOODPUT_MIN"), 64)
	return goodput() >= lim
}

// writeSummary writes the step's summary.json into FW_OUT_DIR: the loop at hz, 10 s of arrivals at
// the load of which FAKE_DROP (a share) were dropped, and the goodput.
func writeSummary(load, hz float64, ok bool) error {
	goodputJudged := ""
	if expr, set := goodputThreshold(); set {
		goodputJudged = fmt.Sprintf(`, "thresholds": {%q: {"ok": %t}}`, expr, goodputOK())
	}
	sessions := int(math.Round(load * 10))
	dropped := 0
	if v := os.Getenv("FAKE_DROP"); v != "" {
		share, _ := strconv.ParseFloat(v, 64)
		dropped = int(math.Round(share * float64(sessions)))
		sessions -= dropped
	}
	summary := fmt.Sprintf(`{"state": {"testRunDurationMs": 1000}, "metrics": {
  "fw_loop_hz": {"type": "trend", "values": {"avg": %g, "min": %g}, "thresholds": {"avg>95": {"ok": %t}}},
  "error_rate": {"type": "rate", "values": {"rate": 0}, "thresholds": {"rate<0.01": {"ok": true}}},
  "fw_chat_goodput": {"type": "rate", "values": {"rate": %g}%s},
  "chat_sessions": {"type": "counter", "values": {"count": %d}},
  "dropped_iterations{scenario:chat}": {"type": "counter", "values": {"count": %d},
    "thresholds": {"count>=0": {"ok": true}}},
  "fw_chat_turns": {"type": "counter", "values": {"count": %d}}
}}`, hz, hz, ok, goodput(), goodputJudged, sessions, dropped, int(load*3))
	// #nosec G703 -- the test binary acting as k6 writes into the directory its own test runner chose
	return os.WriteFile(filepath.Join(os.Getenv("FW_OUT_DIR"), "summary.json"), []byte(summary), 0o600)
}
