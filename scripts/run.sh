#!/usr/bin/env bash
# Runs the bundled scenario (examples/featherweight-load.js) with ./k6.
# Without FW_CHAT_URL it starts bin/fwsim on 127.0.0.1:${FW_PORT:-8080}, waits for /healthz, runs the
# test and stops fwsim. Writes out/summary.json and out/report.html (k6 web dashboard export).
# Exits with k6's exit code (0 pass, 99 thresholds failed, 104/107 script errors).
set -euo pipefail
cd "$(dirname "$0")/.."

K6=${K6:-./k6}
FWSIM=${FWSIM:-./bin/fwsim}
SCRIPT=${FW_SCRIPT:-examples/featherweight-load.js}
export FW_OUT_DIR=${FW_OUT_DIR:-out}
mkdir -p "$FW_OUT_DIR"

fwsim_pid=
stop_fwsim() {
  if [ -n "$fwsim_pid" ] && kill -0 "$fwsim_pid" 2>/dev/null; then
    kill -INT "$fwsim_pid" 2>/dev/null || true
    wait "$fwsim_pid" 2>/dev/null || true
  fi
}
trap stop_fwsim EXIT

if [ -z "${FW_CHAT_URL:-}" ]; then
  port=${FW_PORT:-8080}
  base="http://127.0.0.1:$port"
  # shellcheck disable=SC2086 # FWSIM_FLAGS is a list of flags
  "$FWSIM" -addr "127.0.0.1:$port" ${FWSIM_FLAGS:-} >"$FW_OUT_DIR/fwsim.log" 2>&1 &
  fwsim_pid=$!
  export FW_CHAT_URL="ws://127.0.0.1:$port/api/chat"
  export FW_METRICS_URL=${FW_METRICS_URL:-$base/metrics}
  export FW_HEALTHZ_URL=${FW_HEALTHZ_URL:-$base/healthz}
  echo "started fwsim (pid $fwsim_pid) on $base ${FWSIM_FLAGS:-}"
  health=${FW_HEALTHZ_URL}
else
  health=${FW_HEALTHZ_URL:-}
fi

if [ -n "$health" ]; then
  for _ in $(seq 1 100); do
    # Ready when it answers 200 with status ok (a fresh fwsim says "degraded" until its loop ticks);
    # after 10 s the test starts anyway and the Hz thresholds judge the backend.
    body=$(curl -s -w ' %{http_code}' "$health" || true)
    [[ "$body" == *'"status":"ok"'*' 200' ]] && break
    if [ -n "$fwsim_pid" ] && ! kill -0 "$fwsim_pid" 2>/dev/null; then
      echo "fwsim exited; see $FW_OUT_DIR/fwsim.log" >&2; cat "$FW_OUT_DIR/fwsim.log" >&2; exit 1
    fi
    sleep 0.1
  done
  echo "healthz: $(curl -s "$health" || echo unreachable)"
fi

# The web dashboard listens on loopback only and exports its HTML report when the test ends.
export K6_WEB_DASHBOARD=${K6_WEB_DASHBOARD:-true}
export K6_WEB_DASHBOARD_HOST=${K6_WEB_DASHBOARD_HOST:-127.0.0.1}
export K6_WEB_DASHBOARD_PORT=${K6_WEB_DASHBOARD_PORT:-5665}
export K6_WEB_DASHBOARD_PERIOD=${K6_WEB_DASHBOARD_PERIOD:-3s} # short runs need >1 snapshot for a report
export K6_WEB_DASHBOARD_EXPORT=${K6_WEB_DASHBOARD_EXPORT:-$FW_OUT_DIR/report.html}
# The chat layout (TTFT, ITL, turns and errors by kind, tokens/s, the loop's Hz) for the live
# dashboard and the report; error_kind makes the dashboard keep one series per error kind.
export XK6_DASHBOARD_CONFIG=${XK6_DASHBOARD_CONFIG:-examples/dashboard/featherweight.dashboard.json}
export K6_WEB_DASHBOARD_TAGS=${K6_WEB_DASHBOARD_TAGS:-group,error_kind}
export K6_NO_USAGE_REPORT=true

# widen_report_axes: the report of xk6-dashboard v0.8.1 (k6 v1.8.1) draws every y axis in a fixed
# 70 px, which cuts labels such as "15ms 500µs" (TPOT) or "1.5 MB/s" (transfer rate) at the chart's
# edge, and no layout option sets it. This widens the axes of the exported report to 96 px; a report
# whose bundle does not have that constant is left as it is, with a warning.
widen_report_axes() {
  local report=$1 axis='=1,([A-Za-z_$][A-Za-z0-9_$]*)=70,([A-Za-z_$][A-Za-z0-9_$]*=[A-Za-z_$][A-Za-z0-9_$]*\.sync\("chart"\))'
  [ -f "$report" ] || return 0
  if [ "$(grep -oE "$axis" "$report" | wc -l)" = 1 ]; then
    sed -E -i "s/$axis/=1,\1=96,\2/" "$report"
  else
    echo "warning: $report: the dashboard's axis width was not found; its y-axis labels may be cut" >&2
  fi
}

set +e
# shellcheck disable=SC2086 # K6_FLAGS is a list of flags
"$K6" run ${K6_FLAGS:-} "$SCRIPT"
rc=$?
set -e
widen_report_axes "$K6_WEB_DASHBOARD_EXPORT"
echo "k6 exit code: $rc; summary: $FW_OUT_DIR/summary.json, report: $K6_WEB_DASHBOARD_EXPORT"
exit $rc
