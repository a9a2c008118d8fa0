# shellcheck shell=bash
# Sourced (from the repository root) by the scripts that run bin/fwsim on a free loopback port.
#
#   start_fwsim LOG [fwsim flags...]  starts $FWSIM (default bin/fwsim) with -addr 127.0.0.1:0 and the
#                                     flags, its output in LOG; waits up to 10 s for its
#                                     "fwsim listening on http://..." line and sets fwsim_pid and base
#                                     (http://127.0.0.1:PORT). Calls the caller's `fail` when fwsim exits
#                                     or prints no address.
#   stop_fwsim                        interrupts it (SIGINT) and waits for it; nothing when none runs.
#   fwsim_address                     prints the http:// address from fwsim's output on stdin.

fwsim_pid=
base=

fwsim_address() {
  sed -n 's#^fwsim listening on \(http://[0-9.:]*\).*#\1#p' | head -1
}

start_fwsim() {
  local log=$1
  shift
  "${FWSIM:-bin/fwsim}" -addr 127.0.0.1:0 "$@" >"$log" 2>&1 &
  fwsim_pid=$!
  base=
  for _ in $(seq 1 100); do
    base=$(fwsim_address <"$log")
    [ -n "$base" ] && return 0
    kill -0 "$fwsim_pid" 2>/dev/null || { cat "$log" >&2; fail "fwsim exited"; }
    sleep 0.1
  done
  cat "$log" >&2
  fail "fwsim did not print its address"
}

stop_fwsim() {
  if [ -n "$fwsim_pid" ]; then
    kill -INT "$fwsim_pid" 2>/dev/null || true
    wait "$fwsim_pid" 2>/dev/null || true
  fi
  fwsim_pid=
}
