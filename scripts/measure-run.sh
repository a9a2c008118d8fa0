#!/usr/bin/env bash
# Runs scripts/run.sh (the bundled scenario, against its own fwsim) and records, for k6 and fwsim,
# peak RSS (VmHWM) and CPU time (user+sys from /proc), sampled every 2 s, into out/resources.txt.
# Usage: scripts/measure-run.sh   (same FW_* knobs as scripts/run.sh)
set -uo pipefail
cd "$(dirname "$0")/.."
out=${FW_OUT_DIR:-out}
mkdir -p "$out"
export FW_OUT_DIR=$out
tck=$(getconf CLK_TCK)

scripts/run.sh 2>&1 | tee "$out/run.log" &
runner=$!

declare -A hwm cpu start
sample() {
  local name=$1 pid
  pid=$(pgrep -n -f "$2") || return 0
  local h t
  h=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 0
  t=$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null) || return 0
  [ -n "$h" ] && [ "${h}" -gt "${hwm[$name]:-0}" ] && hwm[$name]=$h
  [ -n "$t" ] && cpu[$name]=$t
  [ -z "${start[$name]:-}" ] && start[$name]=$(date +%s)
}
while kill -0 "$runner" 2>/dev/null; do
  sample k6 '^(\./)?k6 run'
  sample fwsim 'bin/fwsim -addr'
  sleep 2
done
wait "$runner"
rc=$?
{
  echo "exit code: $rc"
  for n in k6 fwsim; do
    secs=$(( $(date +%s) - ${start[$n]:-$(date +%s)} ))
    awk -v n="$n" -v h="${hwm[$n]:-0}" -v c="${cpu[$n]:-0}" -v tck="$tck" -v w="$secs" 'BEGIN {
      printf "%-6s peak RSS %6d MiB   CPU %7.1f s over ~%d s wall (%.0f%% of one core)\n",
        n, h / 1024, c / tck, w, (w > 0 ? c / tck / w * 100 : 0) }'
  done
} | tee "$out/resources.txt"
exit $rc
