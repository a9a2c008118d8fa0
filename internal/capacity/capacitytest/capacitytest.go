// Package capacitytest lets a test binary stand in for k6 in the capacity search's tests: a k6 whose
// verdicts follow a model backend that holds every threshold up to FAKE_KNEE users.
package capacitytest

import (
	"fmt"
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
// loop holds up to FAKE_KNEE users (Hz = 100 * knee / users past it) and exits as k6 does (0 pass,
// 99 thresholds failed). FAKE_EXIT forces another exit code; FAKE_LIE exits 0 anyway; FAKE_FLIP flips
// one re-run.
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
	users, _ := strconv.Atoi(os.Getenv("FW_VUS"))
	knee := 1_000_000
	if v := os.Getenv("FAKE_KNEE"); v != "" {
		knee, _ = strconv.Atoi(v)
	}
	hz, ok, code := 100, true, 0
	if users > knee {
		hz, ok, code = 100*knee/users, false, 99
	}
	// FAKE_FLIP=<users>: the first re-run at that count (FW_OUT_DIR .../step-<users>-run2) gets the other verdict.
	if flip := os.Getenv("FAKE_FLIP"); flip == strconv.Itoa(users) &&
		filepath.Base(os.Getenv("FW_OUT_DIR")) == "step-"+flip+"-run2" {
		if ok {
			hz, ok, code = 90, false, 99
		} else {
			hz, ok, code = 100, true, 0
		}
	}
	if os.Getenv("FAKE_LIE") != "" {
		code = 0
	}
	summary := fmt.Sprintf(`{"state": {"testRunDurationMs": 1000}, "metrics": {
  "fw_loop_hz": {"type": "trend", "values": {"avg": %d, "min": %d}, "thresholds": {"avg>95": {"ok": %t}}},
  "error_rate": {"type": "rate", "values": {"rate": 0}, "thresholds": {"rate<0.01": {"ok": true}}},
  "fw_chat_turns": {"type": "counter", "values": {"count": %d}}
}}`, hz, hz, ok, users*3)
	// #nosec G703 -- the test binary acting as k6 writes into the directory its own test runner chose
	if err := os.WriteFile(filepath.Join(os.Getenv("FW_OUT_DIR"), "summary.json"), []byte(summary), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, "fake k6:", err)
		return 2
	}
	fmt.Println("fake k6 ran", users, "users")
	return code
}
