#!/bin/sh
# A stand-in for k6 in unit tests: it checks the arguments fwcapacity passes, then writes a summary
# in which the loop holds up to FAKE_KNEE users (Hz = 100 * knee / users past it) and exits as k6
# does (0 pass, 99 thresholds failed). FAKE_EXIT forces another exit code; FAKE_LIE exits 0 anyway;
# FAKE_FLIP flips one re-run (below).
set -eu
[ "$1" = run ] || { echo "fake k6: expected run, got $1" >&2; exit 2; }
[ "${FW_RAMP:?}" ] && [ "${FW_HOLD:?}" ] && [ "${FW_RAMP_DOWN:?}" ] && [ "${FW_OUT_DIR:?}" ] && [ "${FW_HZ_HOLD_ONLY:?}" = 1 ]
if [ -n "${FAKE_EXIT:-}" ]; then echo "fake k6: script error" >&2; exit "$FAKE_EXIT"; fi
users=${FW_VUS:?}
knee=${FAKE_KNEE:-1000000}
if [ "$users" -le "$knee" ]; then hz=100; ok=true; code=0; else hz=$((100 * knee / users)); ok=false; code=99; fi
# FAKE_FLIP=<users>: the first re-run at that count (FW_OUT_DIR .../step-<users>-run2) gets the other verdict.
if [ "${FAKE_FLIP:-}" = "$users" ] && [ "${FW_OUT_DIR##*/}" = "step-$users-run2" ]; then
  if [ "$ok" = true ]; then hz=90; ok=false; code=99; else hz=100; ok=true; code=0; fi
fi
[ -n "${FAKE_LIE:-}" ] && code=0
cat > "$FW_OUT_DIR/summary.json" <<JSON
{"state": {"testRunDurationMs": 1000}, "metrics": {
  "fw_loop_hz": {"type": "trend", "values": {"avg": $hz, "min": $hz}, "thresholds": {"avg>95": {"ok": $ok}}},
  "error_rate": {"type": "rate", "values": {"rate": 0}, "thresholds": {"rate<0.01": {"ok": true}}},
  "fw_chat_turns": {"type": "counter", "values": {"count": $((users * 3))}}
}}
JSON
echo "fake k6 ran $users users"
exit $code
