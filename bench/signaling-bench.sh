#!/usr/bin/env bash
# Side-by-side signaling benchmark: PeerServer (npm `peer` 1.0.2 on Node 20) against
# `peerkit serve`, targets T5 and T6 of ../shared/perf/targets.md. Both run on loopback inside a
# fresh network namespace, the server pinned to CPU 1 and the load generator (bench/sigload.cpp)
# to CPU 0, alternating PeerServer and peerkit in every round (A B A B …). Prints a table and
# appends it to docs/benchmarks.md. Not a test: numbers move with machine load.
#
#   bench/signaling-bench.sh [ROUNDS]      (default 5)
# Environment: MESSAGES (T5, default 100000), PAIRS (100), WINDOW (4), CONNECTIONS (T6, 15000).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${PEERKIT_IN_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "needs root (unshare -n)"; exit 1; }
  PEERKIT_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
ROUNDS=${1:-5}
MESSAGES=${MESSAGES:-100000}
PAIRS=${PAIRS:-100}
WINDOW=${WINDOW:-4}
CONNECTIONS=${CONNECTIONS:-15000}
PEERKIT=${PEERKIT:-$ROOT/build/bin/peerkit}  # PEERKIT=/path/to/other/build for an A/B run
LOAD=$ROOT/build/bin/sigload
PEERSERVER=$ROOT/tests/browser/node_modules/peer/dist/bin/peerjs.js
[ -x "$LOAD" ] && [ -f "$PEERSERVER" ] || { echo "build first (make build) and run scripts/setup"; exit 1; }
WORK=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill $SERVER_PID 2>/dev/null; wait 2>/dev/null' EXIT

start_server() {  # start_server peerserver|peerkit; both without per-client limits
  if [ "$1" = peerserver ]; then
    taskset -c 1 node "$PEERSERVER" --host 127.0.0.1 --port 9000 --concurrent_limit 100000 \
      > "$WORK/peerserver.log" 2>&1 &
  else
    taskset -c 1 "$PEERKIT" serve --port 9000 --no-turn --concurrent_limit 100000 \
      --messages-per-second 0 --max-connections-per-ip 0 --log-level warn > "$WORK/peerkit.log" 2>&1 &
  fi
  SERVER_PID=$!
  for _ in $(seq 200); do curl -s -o /dev/null http://127.0.0.1:9000/peerjs/id && return 0; sleep 0.05; done
  echo "server $1 did not start"; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
load() { taskset -c 0 "$LOAD" "$@" --port 9000 --server-pid "$SERVER_PID"; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

declare -A R
for round in $(seq "$ROUNDS"); do
  for server in peerserver peerkit; do
    start_server $server
    out=$(load relay --pairs "$PAIRS" --messages "$MESSAGES" --window "$WINDOW")
    echo "round $round $server t5: $out" | tee -a "$WORK/raw.txt"
    R[$server,t5]+=" $(echo "$out" | field msgs_per_cpu_s)"
    R[$server,t5us]+=" $(echo "$out" | field cpu_us_per_msg)"
    R[$server,t5p99]+=" $(echo "$out" | field p99_us)"
    stop_server
    start_server $server
    out=$(load idle --connections "$CONNECTIONS")
    echo "round $round $server t6: $out" | tee -a "$WORK/raw.txt"
    R[$server,t6]+=" $(echo "$out" | field rss_per_conn_kib)"
    R[$server,t6n]+=" $(echo "$out" | sed -n 's/.*connections=\([0-9]*\).*/\1/p')"
    stop_server
  done
done

stats() {  # median (min–max); $1 = printf format
  local fmt=$1; shift
  echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk -v f="$fmt" '{v[NR]=$1} END {m = NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf f " (" f "–" f ")", m, v[1], v[NR]}'
}
median() { echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.2f×\", $1/$2; else print \"—\" }"; }
row() {  # row TARGET MEASURE KEY FORMAT GOAL
  local p=$(median ${R[peerkit,$3]}) s=$(median ${R[peerserver,$3]})
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(stats "$4" ${R[peerkit,$3]})" \
    "$(stats "$4" ${R[peerserver,$3]})" "$(ratio "$p" "$s")" "$5"
}
TABLE=$(
  echo "| target | measure | peerkit median (min–max) | PeerServer median (min–max) | peerkit/PeerServer | goal |"
  echo "|---|---|---|---|---|---|"
  row T5 "relayed 1 KB messages per server CPU-second" t5 "%.0f" "≥ 10×"
  row T5 "server CPU µs per relayed message" t5us "%.1f" "≤ 0.1×"
  row T5 "p99 relay latency, µs ($PAIRS pairs × $WINDOW in flight)" t5p99 "%.0f" "≤ 1×"
  row T6 "concurrent idle registered clients held" t6n "%.0f" "15 000"
  row T6 "KiB of RSS per idle registered client" t6 "%.2f" "≤ 0.5×"
)
echo; echo "$TABLE"
{
  echo
  echo "### Signaling vs PeerServer — $(date -u +%Y-%m-%d), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); Node $(node --version), peer $(node -p "require('$ROOT/tests/browser/node_modules/peer/package.json').version")."
  echo "Command: \`bench/signaling-bench.sh $ROUNDS\` ($ROUNDS rounds, PeerServer then peerkit; server on CPU 1, \`sigload\` on CPU 0; T5: $MESSAGES messages, $PAIRS pairs, $WINDOW in flight per pair; T6: $CONNECTIONS connections)."
  echo
  echo "$TABLE"
} >> "$ROOT/docs/benchmarks.md"
cp "$WORK/raw.txt" "$ROOT/build/signaling-bench-raw.txt" 2>/dev/null
echo "appended to docs/benchmarks.md; raw lines in build/signaling-bench-raw.txt"
