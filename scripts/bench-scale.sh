#!/usr/bin/env bash
# make bench-scale: how many concurrent streams one machine (k6 + fwsim together) sustains.
# For each stream count, in turn: the extension's Promise API (few VUs, many fw.chatAsync loops, a
# WebSocket per turn), its sessions (few VUs, one session per stream looping sendAsync) and the
# plain Go client (one goroutine and WebSocket per stream) as the reference for the TTFT error.
# fwsim streams 4 tokens/s (TTFT 300 ms, ITL 250 ms, 40 tokens: a 10 s turn). k6 runs with
# --profiling-enabled: half way through each run a 10 s CPU profile and a heap profile are saved.
# Results: out/scale/stream-<N>-<client>/ and out/bench-scale.md.
#
# Knobs: BENCH_STREAMS="5000 10000 15000"  BENCH_CLIENTS="promise session plain"
#        BENCH_DURATION=60s (ramp included)  BENCH_RAMP=20s  SCALE_VUS=10  BENCH_OUT=out/scale
# The hard limit on open files (ulimit -Hn) caps the streams of one process: each stream is a socket
# in k6 and one in fwsim.
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/fwsim.sh
source scripts/lib/bench.sh

OUT=${BENCH_OUT:-out/scale}
duration=${BENCH_DURATION:-60s}
secs=${duration%s}
[[ $secs =~ ^[0-9]+$ ]] || fail "BENCH_DURATION must be whole seconds such as 60s, got $duration"
export BENCH_RAMP=${BENCH_RAMP:-20s} BENCH_PROFILE=1 BENCH_PLAIN_RAMP=1
streams_list=${BENCH_STREAMS:-5000 10000 15000}
clients=${BENCH_CLIENTS:-promise session plain}

for bin in "$K6" "$FWPLAIN" "${FWSIM:-bin/fwsim}"; do
  [ -x "$bin" ] || fail "$bin is missing: run make bench-scale"
done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
echo "bench-scale: open files limit $(ulimit -n) (hard $(ulimit -Hn))" >&2

dirs=()
for n in $streams_list; do
  if ((n + 200 > $(ulimit -n))); then
    echo "bench-scale: skipping $n streams: ulimit -n is $(ulimit -n) (one socket per stream per process)" >&2
    continue
  fi
  for client in $clients; do
    run_one stream "$n" "$client"
  done
done

{
  echo "# bench-scale: $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  machine_line
  echo "Each run: $duration (the first $BENCH_RAMP ramping the streams up), its own fwsim (\`-ttft 300ms -itl 250ms -tokens 40\`: 4 tokens/s per stream), k6 with ${SCALE_VUS:-10} VUs. Open files limit: $(ulimit -n)."
  echo
  "$FWPLAIN" table "${dirs[@]}"
  echo
  echo "CPU here is over the whole load window (ramp included); \"CPU cores\" is that CPU over the window's wall time. Profiles: $OUT/*/k6-cpu.pprof (\`go tool pprof -top k6 FILE\`)."
} >"$OUT/../bench-scale.md"
cat "$OUT/../bench-scale.md"
