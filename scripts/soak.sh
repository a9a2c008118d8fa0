#!/usr/bin/env bash
# Soak: the bundled scenario with a long hold (FW_SOAK_HOLD, default 20m) against its own fwsim,
# sampling the k6 process every FW_SOAK_EVERY seconds (default 10): RSS, goroutines (k6's pprof on
# its REST API, loopback only) and open file descriptors. Writes $FW_OUT_DIR/soak.tsv and prints
# the growth over the hold (first vs last sample of the hold, and the peak).
# Usage: scripts/soak.sh   (or make soak; the same FW_* knobs as scripts/run.sh)
set -uo pipefail
cd "$(dirname "$0")/.."

export FW_OUT_DIR=${FW_OUT_DIR:-out/soak}
export FW_HOLD=${FW_SOAK_HOLD:-20m}
every=${FW_SOAK_EVERY:-10}
api_port=${FW_SOAK_API_PORT:-$((20000 + RANDOM % 20000))}
export K6_FLAGS="${K6_FLAGS:-} --address 127.0.0.1:$api_port --profiling-enabled"
export K6_WEB_DASHBOARD_PORT=${K6_WEB_DASHBOARD_PORT:-$((40000 + RANDOM % 20000))}
mkdir -p "$FW_OUT_DIR"
tsv=$FW_OUT_DIR/soak.tsv

scripts/run.sh >"$FW_OUT_DIR/run.log" 2>&1 &
runner=$!

printf 't_s\trss_mib\tgoroutines\tfds\n' >"$tsv"
start=$(date +%s)
pid=
while kill -0 "$runner" 2>/dev/null; do
  sleep "$every"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || pid=$(pgrep -n -f "k6 run .*--address 127.0.0.1:$api_port") || continue
  rss=$(awk '/VmRSS/ {printf "%d", $2 / 1024}' "/proc/$pid/status" 2>/dev/null) || continue
  fds=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l)
  gor=$(curl -s --max-time 5 "http://127.0.0.1:$api_port/debug/pprof/goroutine?debug=1" | head -1 |
    sed -n 's/.*total \([0-9]*\).*/\1/p')
  [ -n "$rss" ] && printf '%d\t%s\t%s\t%s\n' "$(($(date +%s) - start))" "$rss" "${gor:-NA}" "$fds" >>"$tsv"
done
wait "$runner"
rc=$?
tail -n 30 "$FW_OUT_DIR/run.log"
echo "k6 exit code: $rc; samples: $tsv"
# Growth over the hold: the samples after the ramp-up (FW_RAMP, 1m by default) and before the ramp-down.
awk -F'\t' -v ramp="${FW_SOAK_RAMP_S:-70}" -v hold="$(( $(echo "$FW_HOLD" | sed -n 's/^\([0-9]*\)m$/\1/p') * 60 ))" '
  NR > 1 && $1 >= ramp && (hold == 0 || $1 <= ramp + hold - 10) {
    if (!n++) { r0 = $2; g0 = $3; f0 = $4 }
    r1 = $2; g1 = $3; f1 = $4; if ($2 > rp) rp = $2
  }
  END {
    if (!n) { print "no samples in the hold"; exit }
    printf "over the hold (%d samples): RSS %d -> %d MiB (peak %d), goroutines %s -> %s, fds %s -> %s\n",
      n, r0, r1, rp, g0, g1, f0, f1
  }' "$tsv"
exit $rc
