#!/usr/bin/env bash
# make prom-test: the Prometheus part of the compose stack, for real, without containers.
#
# Starts Debian's `prometheus` (apt-get installed when missing, as root) on 127.0.0.1 with a temporary
# data dir, the remote-write receiver and native histograms; starts bin/fwsim; runs the bundled
# scenario's smoke profile with ./k6 and `-o experimental-prometheus-rw` using the same K6_PROMETHEUS_RW_*
# settings as examples/compose; then reads k6_fw_* series back through Prometheus's HTTP API
# (/api/v1/query) and fails unless they hold data. Stops everything it started.
#
# Environment: K6 (./k6), FWSIM (bin/fwsim), PROMETHEUS (prometheus), PROM_PORT (default: a free port
# from 19090 up), FW_PROM_REQUIRED=1 to fail instead of skipping when prometheus cannot be installed.
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS
K6=${K6:-./k6}
FWSIM=${FWSIM:-bin/fwsim}
PROMETHEUS=${PROMETHEUS:-prometheus}
LOG_DIR=${LOG_DIR:-out/prom-test}
DASHBOARD=examples/compose/grafana/dashboards/featherweight.json
mkdir -p "$LOG_DIR"

fail() { echo "FAIL: $*" >&2; exit 1; }
skip() {
  echo "" >&2; echo "!!! prom-test SKIPPED: $*" >&2; echo "" >&2
  [ "${FW_PROM_REQUIRED:-0}" = 1 ] && exit 1
  exit 0
}

if ! command -v "$PROMETHEUS" >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || skip "prometheus is not installed and not root (apt-get install prometheus)"
  command -v apt-get >/dev/null 2>&1 || skip "prometheus is not installed and there is no apt-get"
  echo "==> apt-get install prometheus"
  export DEBIAN_FRONTEND=noninteractive
  { apt-get update -q && apt-get install -y -q --no-install-recommends prometheus; } >"$LOG_DIR/apt.log" 2>&1 \
    || { tail "$LOG_DIR/apt.log" >&2; skip "apt-get install prometheus failed (see $LOG_DIR/apt.log)"; }
fi
"$PROMETHEUS" --version 2>&1 | head -1

. scripts/lib/fwsim.sh
tmp=$(mktemp -d)
prom_pid=
cleanup() {
  stop_fwsim
  if [ -n "$prom_pid" ]; then kill -TERM "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

# Prometheus: no scrape jobs of its own, only what k6 remote-writes.
cat >"$tmp/prometheus.yml" <<'YAML'
global:
  scrape_interval: 15s
scrape_configs: []
YAML
port=${PROM_PORT:-19090}
for _ in $(seq 1 20); do
  "$PROMETHEUS" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/data" \
    --web.listen-address="127.0.0.1:$port" --web.enable-remote-write-receiver \
    --enable-feature=native-histograms >"$LOG_DIR/prometheus.log" 2>&1 &
  prom_pid=$!
  ready=
  for _ in $(seq 1 100); do
    if curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1; then ready=1; break; fi
    kill -0 "$prom_pid" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$ready" ] && break
  kill "$prom_pid" 2>/dev/null || true; wait "$prom_pid" 2>/dev/null || true; prom_pid=
  if grep -q 'address already in use' "$LOG_DIR/prometheus.log"; then port=$((port + 1)); continue; fi
  tail "$LOG_DIR/prometheus.log" >&2; fail "prometheus did not become ready"
done
[ -n "$prom_pid" ] || fail "no free port for prometheus"
prom=http://127.0.0.1:$port
echo "==> prometheus on $prom (pid $prom_pid)"

start_fwsim "$LOG_DIR/fwsim.log"
echo "==> fwsim on $base"

# The same remote-write settings as examples/compose/docker-compose.yml.
export K6_PROMETHEUS_RW_SERVER_URL=$prom/api/v1/write
export K6_PROMETHEUS_RW_TREND_STATS=${K6_PROMETHEUS_RW_TREND_STATS:-p(50),p(90),p(95),p(99),avg,min,max}
export K6_PROMETHEUS_RW_PUSH_INTERVAL=${K6_PROMETHEUS_RW_PUSH_INTERVAL:-2s}
export K6_NO_USAGE_REPORT=true
set +e
FW_PROFILE=smoke FW_CHAT_URL="ws://${base#http://}/api/chat" FW_METRICS_URL="$base/metrics" FW_HEALTHZ_URL="$base/healthz" \
  "$K6" run -o experimental-prometheus-rw --tag testid=prom-test examples/featherweight-load.js >"$LOG_DIR/k6.log" 2>&1
rc=$?
set -e
echo "==> k6 smoke run with remote write: exit $rc"
[ "$rc" = 0 ] || { tail -30 "$LOG_DIR/k6.log" >&2; fail "k6 exited $rc, want 0"; }
if grep -qiE 'level=(error|warning).*(remote|prometheus)' "$LOG_DIR/k6.log"; then
  grep -iE 'level=(error|warning).*(remote|prometheus)' "$LOG_DIR/k6.log" >&2
  fail "the remote-write output reported errors"
fi

# query EXPR -> prints the first result's value (instant vector) or nothing
query() {
  local out
  out=$(curl -sf -G "$prom/api/v1/query" --data-urlencode "query=$1") || return 0
  grep -q '"status":"success"' <<<"$out" || return 0
  sed -n 's/.*"value":\[[0-9.]*,"\([^"]*\)"\].*/\1/p' <<<"$out" | head -1
}

# Series every dashboard panel family depends on: counters (_total), rates (_rate), trend stats (_pNN, _avg).
required=(
  'sum(k6_fw_chat_turns_total{testid="prom-test"})'
  'sum(k6_fw_chat_tokens_total{testid="prom-test"})'
  'max(k6_fw_chat_ttft_p95{testid="prom-test"})'
  'max(k6_fw_chat_itl_p99{testid="prom-test"})'
  'max(k6_fw_loop_hz_avg{testid="prom-test"})'
  'max(k6_fw_chat_failed_rate{testid="prom-test"})'
)
for q in "${required[@]}"; do
  v=$(query "$q")
  [ -n "$v" ] || fail "no data for $q"
  echo "    $q = $v"
done
turns=$(query "${required[0]}")
awk -v v="$turns" 'BEGIN { exit !(v > 0) }' || fail "k6_fw_chat_turns_total is $turns, want > 0"
hz=$(query "${required[4]}")
awk -v v="$hz" 'BEGIN { exit !(v > 95) }' || fail "k6_fw_loop_hz_avg is $hz, want > 95 on a healthy fwsim"

# Every k6_fw_* name the Grafana dashboard uses must be a name k6 writes (misspelt panels fail here).
if [ -f "$DASHBOARD" ]; then
  names=$(curl -sf "$prom/api/v1/label/__name__/values")
  missing=()
  for n in $(grep -oE 'k6_fw_[a-z0-9_]+' "$DASHBOARD" | sort -u); do
    grep -q "\"$n\"" <<<"$names" || missing+=("$n")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    # Error counters only exist once an error happened; a healthy smoke run has none.
    for n in "${missing[@]}"; do
      case $n in k6_fw_chat_errors_total) echo "    (no $n series: no errors in a healthy run)";;
        *) fail "the dashboard uses $n, which the smoke run did not write";; esac
    done
  fi
  echo "==> dashboard series names: ok"
fi
echo "PASS prom-test in $((SECONDS - t0)) s"
