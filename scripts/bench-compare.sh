#!/usr/bin/env bash
# make bench-compare: the same streaming-chat load, against the same fwsim settings, driven in turn by
#   native      ./k6 + examples/bench/native.js      (this extension's session API)
#   websockets  ./k6 + examples/bench/websockets.js  (k6's built-in k6/websockets, frames parsed in JS)
#   plain       bin/fwplain run                      (a plain Go program: gorilla/websocket + encoding/json)
# Each user holds one WebSocket and runs turns back to back. Each run gets its own fwsim, which
# records every turn (-record-turns: prompt read, each token written) as the ground truth.
# Per run the client process is sampled from /proc every 0.25 s (utime+stime, VmHWM). Results:
# out/bench/<workload>-<users>-<client>/ (raw files and result.json) and the table out/bench-compare.md.
#
# Knobs (environment):
#   BENCH_QUICK=1         10 s per run instead of 30 s (all 12 runs in ~5 minutes)
#   BENCH_DURATION=30s    how long users start new turns (overrides BENCH_QUICK)
#   BENCH_WORKLOADS="fast slow"   fast: TTFT 20 ms, ITL 5 ms, 100 tokens; slow (seed-like): 300 ms, 20 ms, 50
#   BENCH_USERS="200 1000"
#   BENCH_CLIENTS="native websockets plain"
#   BENCH_OUT=out/bench   FW_K6=./k6   FWPLAIN=bin/fwplain   FWSIM=bin/fwsim
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fwsim.sh
source scripts/lib/bench.sh

OUT=${BENCH_OUT:-out/bench}
if [ -n "${BENCH_DURATION:-}" ]; then
  duration=$BENCH_DURATION
elif [ "${BENCH_QUICK:-0}" = 1 ]; then
  duration=10s
else
  duration=30s
fi
secs=${duration%s}
[[ $secs =~ ^[0-9]+$ ]] || fail "BENCH_DURATION must be whole seconds such as 30s, got $duration"
workloads=${BENCH_WORKLOADS:-fast slow}
users_list=${BENCH_USERS:-200 1000}
clients=${BENCH_CLIENTS:-native websockets plain}

for bin in "$K6" "$FWPLAIN" "${FWSIM:-bin/fwsim}"; do
  [ -x "$bin" ] || fail "$bin is missing: run make bench-compare (it builds ./k6, bin/fwsim and bin/fwplain)"
done
# One WebSocket per user in the client and in fwsim: raise the soft fd limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
max_users=0
for u in $users_list; do ((u > max_users)) && max_users=$u; done
((max_users + 100 < $(ulimit -n))) || fail "ulimit -n is $(ulimit -n): too low for $max_users users"

dirs=()
for workload in $workloads; do
  for users in $users_list; do
    for client in $clients; do
      run_one "$workload" "$users" "$client"
    done
  done
done

{
  echo "# bench-compare: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_line
  echo "Each run: $duration of turns back to back per user, its own fwsim (jitter 0.2, seed 1) on loopback, the client and fwsim sharing the machine."
  echo
  "$FWPLAIN" table "${dirs[@]}"
  cat <<'NOTE'

- CPU: the client process's utime+stime (from /proc) between fwsim's first prompt read and its last
  token write (k6's VU initialisation and end-of-test summary excluded), per 1,000 tokens received.
- TTFT/ITL error: the client's p50 (p99) minus fwsim's own p50 (p99) of the same run (fwsim: prompt
  frame read -> first token frame written; gaps between token writes). Per-turn: each turn's client
  TTFT minus fwsim's for the same messageId, then p50/p99. k6/websockets times with `Date.now()`
  (1 ms resolution).
- Workloads (fwsim flags): fast = `-ttft 20ms -itl 5ms -tokens 100`; slow (seed-like) =
  `-ttft 300ms -itl 20ms -tokens 50`.
- turns: completed turns; "vs plain" is the ratio to the plain Go client in the same cell.
- load: the machine's 1-minute load average when the run started (2 cores: above ~2 the client
  and fwsim waited for CPU and the latencies above include that wait).
NOTE
} >"$OUT/../bench-compare.md"
cat "$OUT/../bench-compare.md"
