# shellcheck shell=bash
# Sourced (from the repository root, after scripts/lib/fwsim.sh) by scripts/bench-compare.sh and
# scripts/bench-scale.sh. The caller sets OUT, duration and secs; K6 (FW_K6, ./k6), FWPLAIN
# (bin/fwplain) and fail (message, stop fwsim, exit 1) are set here.
#
#   run_one WORKLOAD USERS CLIENT  starts fwsim (WORKLOAD's flags, recording every turn), runs CLIENT
#                                  (native, websockets, promise, session or plain) with USERS
#                                  users/streams for $duration, samples the client from /proc, saves
#                                  fwsim's /debug/turns, writes meta.json and result.json
#                                  (fwplain report) into $OUT/WORKLOAD-USERS-CLIENT, appends it to dirs.
#   BENCH_PROFILE=1                k6 clients also get --profiling-enabled; half way through the run
#                                  a 10 s CPU profile and a heap profile go to the run directory.
#   BENCH_SETTLE=5                 seconds of pause before each run.
#   BENCH_RAMP=10s                 scale clients (promise, session, plain) start their streams over it.

K6=${FW_K6:-./k6}
FWPLAIN=${FWPLAIN:-bin/fwplain}
tck=$(getconf CLK_TCK)

fail() {
  echo "$(basename "$0" .sh): $*" >&2
  stop_fwsim
  exit 1
}

workload_args() {
  case $1 in
  fast) echo "-ttft 20ms -itl 5ms -tokens 100" ;;
  slow) echo "-ttft 300ms -itl 20ms -tokens 50" ;;
  stream) echo "-ttft 300ms -itl 250ms -tokens 40" ;; # 4 tokens/s, a 10 s turn: the scale workload
  *) fail "unknown workload $1 (want fast, slow or stream)" ;;
  esac
}

# sample PID FILE: until PID exits, append "<unix s> <utime+stime ticks> <VmHWM kB>" every 0.25 s.
sample() {
  local pid=$1 file=$2 stat hwm k v _
  while [ -r "/proc/$pid/stat" ]; do
    read -r -a stat <"/proc/$pid/stat" 2>/dev/null || break
    hwm=0
    while read -r k v _; do [ "$k" = VmHWM: ] && hwm=$v; done <"/proc/$pid/status" 2>/dev/null
    [ "${stat[2]}" = Z ] && break
    echo "$EPOCHREALTIME $((stat[13] + stat[14])) $hwm" >>"$file"
    sleep 0.25
  done
}

# watch_pid PID SECS: interrupt PID after SECS seconds unless this watchdog is killed first (its
# sleep goes with it).
watch_pid() {
  local sleeper
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$2" &
  sleeper=$!
  wait "$sleeper"
  kill -INT "$1" 2>/dev/null
}

# free_port: a loopback port nobody listens on right now (for k6's REST API when profiling).
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return
    fi
  done
  fail "no free port found"
}

# profile DIR ADDR DELAY: after DELAY seconds, a 10 s CPU profile and a heap profile of k6 at ADDR.
profile() {
  local sleeper
  trap 'kill "$sleeper" 2>/dev/null; exit 0' TERM
  sleep "$3" &
  sleeper=$!
  wait "$sleeper"
  curl -fsS -o "$1/k6-cpu.pprof" "http://$2/debug/pprof/profile?seconds=10" || echo "bench: CPU profile failed" >&2
  curl -fsS -o "$1/k6-heap.pprof" "http://$2/debug/pprof/heap" || echo "bench: heap profile failed" >&2
  curl -fsS -o "$1/k6-goroutines.txt" "http://$2/debug/pprof/goroutine?debug=1" || true
}

run_one() {
  local workload=$1 users=$2 client=$3 dir args url pid watchdog profiler= rc api=127.0.0.1:0
  local ramp=${BENCH_RAMP:-10s} load
  # Let the previous run's sockets and processes wind down: a run started right after a
  # 1,000-user k6 run measured ~30% fewer turns than the same run on its own.
  sleep "${BENCH_SETTLE:-5}"
  load=$(cut -d' ' -f1 /proc/loadavg)
  dir=$OUT/$workload-$users-$client
  rm -rf "$dir"
  mkdir -p "$dir"
  args=$(workload_args "$workload")
  : >"$dir/fwsim.log" # start_fwsim may read it before fwsim's redirection has created it
  # shellcheck disable=SC2086 # args is a word list
  start_fwsim "$dir/fwsim.log" $args -jitter 0.2 -seed 1 -record-turns 5000000
  url=ws://${base#http://}/api/chat
  echo "bench: $workload, $users users, $client, $duration (fwsim $args)" >&2
  local k6flags=(run -q --no-usage-report --console-output "$dir/turns.log")
  if [ "${BENCH_PROFILE:-0}" = 1 ] && [ "$client" != plain ]; then
    api=127.0.0.1:$(free_port)
    k6flags+=(--profiling-enabled)
  fi
  k6flags+=(--address "$api")
  case $client in
  native | websockets)
    BENCH_URL=$url BENCH_USERS=$users BENCH_DURATION=$duration BENCH_LOG_TURNS=1 BENCH_SUMMARY=$dir/client.json \
      "$K6" "${k6flags[@]}" "examples/bench/$client.js" >"$dir/client.out" 2>"$dir/client.err" &
    ;;
  promise | session)
    BENCH_URL=$url SCALE_MODE=$client SCALE_STREAMS=$users SCALE_VUS=${SCALE_VUS:-10} SCALE_RAMP_MS=$((${ramp%s} * 1000)) \
      BENCH_DURATION=$duration BENCH_LOG_TURNS=1 BENCH_SUMMARY=$dir/client.json \
      "$K6" "${k6flags[@]}" examples/bench/scale.js >"$dir/client.out" 2>"$dir/client.err" &
    ;;
  plain)
    local rampflag=()
    [ "${BENCH_PLAIN_RAMP:-0}" = 1 ] && rampflag=(-ramp "$ramp")
    "$FWPLAIN" run -url "$url" -users "$users" -duration "$duration" "${rampflag[@]}" -turns "$dir/turns.log" \
      >"$dir/client.json" 2>"$dir/client.err" &
    ;;
  *) fail "unknown client $client (want native, websockets, promise, session or plain)" ;;
  esac
  pid=$!
  # Bound the run: users stop starting turns after $duration; a turn ends within 60 s; k6 also
  # initialises its VUs first (a few seconds per 1,000).
  watch_pid "$pid" $((secs + 180)) &
  watchdog=$!
  if [ "$api" != 127.0.0.1:0 ]; then
    profile "$dir" "$api" $((secs / 2)) &
    profiler=$!
  fi
  sample "$pid" "$dir/proc.tsv"
  wait "$pid"
  rc=$?
  kill "$watchdog" 2>/dev/null
  wait "$watchdog" 2>/dev/null
  [ -n "$profiler" ] && { kill "$profiler" 2>/dev/null; wait "$profiler" 2>/dev/null; }
  curl -fsS "$base/debug/turns" >"$dir/fwsim-turns.ndjson" || echo "bench: could not read fwsim's /debug/turns" >&2
  curl -fsS "$base/debug/truth" >"$dir/fwsim-truth.json" || true
  stop_fwsim
  printf '{"client":"%s","workload":"%s","users":%d,"duration_s":%d,"fwsim_args":"%s","exit_code":%d,"clk_tck":%d,"load1":%s}\n' \
    "$client" "$workload" "$users" "$secs" "$args" "$rc" "$tck" "$load" >"$dir/meta.json"
  if [ "$rc" != 0 ]; then
    echo "bench: $client exited $rc; see $dir/client.err" >&2
    tail -5 "$dir/client.err" >&2
  fi
  "$FWPLAIN" report -dir "$dir" || echo "bench: no result for $dir" >&2
  dirs+=("$dir")
}

# machine_line: one line describing this machine and how busy it is.
machine_line() {
  echo "Machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -1)), $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr), $(go version | cut -d' ' -f3); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)."
}
