#!/usr/bin/env bash
# Locally distributed run: the bundled scenario split over N k6 processes with --execution-segment /
# --execution-segment-sequence (what the k6-operator does across pods) against one bin/fwsim, and a
# proof that together they ran the single-instance plan.
#
#   scripts/segments.sh N            # default N=3, FW_PROFILE=smoke, FW_VUS=2*N
#   FW_PROFILE=full FW_VUS=1000 scripts/segments.sh 4
#
# Process i (1..N) runs segment (i-1)/N:i/N of the sequence 0,1/N,...,1, writes its handleSummary JSON
# to out/segments/seg-i/summary.json (FW_OUT_DIR) and its samples to out/segments/seg-i/metrics.json.
# A single un-split run of the same profile runs alongside as the reference. Checks:
#   - sum of the processes' vus_max == maxVUs of `k6 inspect --execution-requirements` == the reference's
#   - iterations of the arrival-rate scenario (hz): the sum over processes == the reference's, give or
#     take one per process (each segment's last arrival may fall either side of the end; dropped ones
#     included)
#   - iterations of the ramping-vus scenario (chat, time-driven, random think time): the sum within
#     SEG_TOLERANCE (default 25%) of the reference's
#   - every chat turn of every process succeeded, and every process exited 0: each evaluates the
#     thresholds on its own share, and FW_HZ_SCRAPERS=N gives each one its own Hz scraper.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-3}
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 N (number of k6 processes, >= 1)" >&2; exit 2; }
K6=${K6:-./k6}
FWSIM=${FWSIM:-bin/fwsim}
OUT=${OUT:-out/segments}
TOL=${SEG_TOLERANCE:-25}
export FW_PROFILE=${FW_PROFILE:-smoke}
export FW_VUS=${FW_VUS:-$((2 * N))}
export FW_HZ_SCRAPERS=${FW_HZ_SCRAPERS:-$N}
export K6_NO_USAGE_REPORT=true
t0=$SECONDS
rm -rf "$OUT"; mkdir -p "$OUT"
fail() { echo "FAIL: $*" >&2; exit 1; }

. scripts/lib/fwsim.sh

pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  stop_fwsim
}
trap cleanup EXIT

start_fwsim "$OUT/fwsim.log"
export FW_CHAT_URL="ws://${base#http://}/api/chat" FW_METRICS_URL="$base/metrics" FW_HEALTHZ_URL="$base/healthz"

# The plan: k6 inspect takes no segment flags; it gives the whole test's maxVUs.
plan=$("$K6" inspect --execution-requirements -e FW_PROFILE="$FW_PROFILE" -e FW_VUS="$FW_VUS" \
  -e FW_HZ_SCRAPERS="$FW_HZ_SCRAPERS" examples/featherweight-load.js 2>"$OUT/inspect.log") \
  || { cat "$OUT/inspect.log" >&2; fail "k6 inspect failed"; }
plan_vus=$(tr -d ' \n' <<<"$plan" | sed -n 's/.*"maxVUs":\([0-9]*\).*/\1/p')
[ -n "$plan_vus" ] || fail "no maxVUs in k6 inspect output"

seq_=0
for i in $(seq 1 "$N"); do
  if [ "$i" = "$N" ]; then seq_+=",1"; else seq_+=",$i/$N"; fi
done
segment() { # i -> (i-1)/N:i/N, with 0 and 1 spelled plainly
  local a=$(( $1 - 1 )) b=$1
  [ "$a" = 0 ] && a=0 || a="$a/$N"
  [ "$b" = "$N" ] && b=1 || b="$b/$N"
  echo "$a:$b"
}
echo "==> $N processes, FW_PROFILE=$FW_PROFILE FW_VUS=$FW_VUS FW_HZ_SCRAPERS=$FW_HZ_SCRAPERS, sequence $seq_, fwsim $base; plan maxVUs $plan_vus"

run_k6() { # name [k6 flags...]
  local name=$1; shift
  mkdir -p "$OUT/$name"
  FW_OUT_DIR="$OUT/$name" "$K6" run "$@" --tag "instance=$name" --out "json=$OUT/$name/metrics.json" \
    examples/featherweight-load.js >"$OUT/$name/k6.log" 2>&1
}
for i in $(seq 1 "$N"); do
  ( set +e; run_k6 "seg-$i" --execution-segment "$(segment "$i")" --execution-segment-sequence "$seq_"
    echo $? >"$OUT/seg-$i/rc" ) &
  pids+=($!)
done
( set +e; run_k6 single; echo $? >"$OUT/single/rc" ) &
pids+=($!)
wait "${pids[@]}"
pids=()

# count NAME METRIC [SCENARIO]: sum of the Point values of METRIC (optionally of one scenario)
count() {
  local f=$OUT/$1/metrics.json
  { grep "\"metric\":\"$2\",\"type\":\"Point\"" "$f" || true; } | { if [ -n "${3:-}" ]; then grep "\"scenario\":\"$3\"" || true; else cat; fi; } \
    | sed 's/.*"value":\([0-9.e+-]*\).*/\1/' | awk '{ s += $1 } END { printf "%d\n", s }'
}
vusmax() {
  { grep '"metric":"vus_max","type":"Point"' "$OUT/$1/metrics.json" || true; } | sed 's/.*"value":\([0-9.]*\).*/\1/' \
    | awk 'BEGIN { m = 0 } { if ($1 > m) m = $1 } END { printf "%d\n", m }'
}

sum_vus=0 sum_hz=0 sum_chat=0 sum_failed=0 sum_ok=0 bad=0
printf '%-8s %-12s %4s %8s %10s %10s %8s  %s\n' process segment exit vus_max "chat iters" "hz iters" "failed" "failed thresholds"
for name in $(seq -f 'seg-%g' 1 "$N") single; do
  rc=$(cat "$OUT/$name/rc")
  v=$(vusmax "$name")
  chat=$(count "$name" iterations chat)
  hz=$(( $(count "$name" iterations hz) + $(count "$name" dropped_iterations hz) ))
  failed=$(count "$name" fw_chat_failed)   # Rate samples: 1 = a failed turn
  ok=$(count "$name" chat_turns_ok)
  ft=-
  if command -v jq >/dev/null 2>&1 && [ -f "$OUT/$name/summary.json" ]; then
    ft=$(jq -r '[.metrics | to_entries[] | .key as $m | (.value.thresholds // {}) | to_entries[]
      | select(.value.ok == false) | "\($m): \(.key)"] | join(", ")' "$OUT/$name/summary.json")
    [ -n "$ft" ] || ft=-
  fi
  seg=-; [ "$name" != single ] && seg=$(segment "${name#seg-}")
  printf '%-8s %-12s %4s %8s %10s %10s %8s  %s\n' "$name" "$seg" "$rc" "$v" "$chat" "$hz" "$failed" "$ft"
  if [ "$rc" != 0 ]; then
    tail -20 "$OUT/$name/k6.log" >&2; echo "FAIL: $name exited $rc (want 0: every share passes its thresholds)" >&2; bad=1
  fi
  if [ "$name" = single ]; then
    ref_vus=$v ref_chat=$chat ref_hz=$hz
  else
    sum_vus=$((sum_vus + v)) sum_hz=$((sum_hz + hz)) sum_chat=$((sum_chat + chat))
    sum_failed=$((sum_failed + failed)) sum_ok=$((sum_ok + ok))
  fi
done
echo "sum over $N processes: vus_max $sum_vus, chat iterations $sum_chat, hz iterations $sum_hz, failed turns $sum_failed, ok turns $sum_ok"
echo "single instance:       vus_max $ref_vus, chat iterations $ref_chat, hz iterations $ref_hz; plan maxVUs $plan_vus"

[ "$sum_vus" = "$plan_vus" ] || { echo "FAIL: sum of vus_max $sum_vus != plan maxVUs $plan_vus" >&2; bad=1; }
[ "$ref_vus" = "$plan_vus" ] || { echo "FAIL: single-instance vus_max $ref_vus != plan maxVUs $plan_vus" >&2; bad=1; }
# Each segment schedules its share of the arrivals on its own clock: the last arrival of a segment can
# fall on either side of the end, so the sum may differ from the reference by at most one per process.
awk -v s="$sum_hz" -v r="$ref_hz" -v n="$N" 'BEGIN { d = s - r; if (d < 0) d = -d; exit !(s > 0 && d <= n) }' \
  || { echo "FAIL: hz iterations: sum $sum_hz not within $N of single $ref_hz" >&2; bad=1; }
awk -v s="$sum_chat" -v r="$ref_chat" -v t="$TOL" 'BEGIN { d = s - r; if (d < 0) d = -d; exit !(r > 0 && d * 100 <= r * t) }' \
  || { echo "FAIL: chat iterations: sum $sum_chat not within $TOL% of single $ref_chat" >&2; bad=1; }
[ "$sum_failed" = 0 ] || { echo "FAIL: $sum_failed chat turns failed across the processes" >&2; bad=1; }
[ "$sum_ok" -gt 0 ] || { echo "FAIL: no successful chat turn across the processes" >&2; bad=1; }
[ "$bad" = 0 ] || exit 1
echo "PASS segments-test: $N processes ran the single-instance plan ($((SECONDS - t0)) s; details in $OUT/)"
