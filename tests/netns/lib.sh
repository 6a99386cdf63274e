# Helpers for namespace tests. Every test re-executes itself inside a fresh network namespace
# (unshare -n) with only loopback up, so nothing it starts can reach or be reached from eth0.
# Processes are started here, remembered by PID and killed by PID on exit.

PIDS=()
FAILURES=0
CHECKS=0

in_fresh_netns() {  # usage: in_fresh_netns "$@" at the top of a test script
  if [ "${PEERKIT_IN_NETNS:-}" != 1 ]; then
    if [ "$(id -u)" -ne 0 ]; then echo "SKIP: needs root for unshare -n"; exit 77; fi
    PEERKIT_IN_NETNS=1 exec unshare -n bash "$0" "$@"
  fi
  ip link set lo up
  trap cleanup EXIT
}

cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
}

start() {  # start NAME CMD...: runs in the background, logs to $WORK/NAME.log
  local name=$1; shift
  "$@" >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
}

wait_for_port() {  # wait_for_port udp|tcp PORT: until something listens, at most 10 s
  local proto=$1 port=$2
  for _ in $(seq 100); do
    if ss -ln"${proto:0:1}" | grep -q ":$port "; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on $proto/$port"; return 1
}

check() {  # check "description" CONDITION-COMMAND...
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILURES=$((FAILURES + 1)); fi
}

finish() {
  echo "$((CHECKS - FAILURES)) passed, $FAILURES failed"
  [ "$FAILURES" -eq 0 ]
}
