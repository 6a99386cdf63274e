#!/usr/bin/env bash
# Cluster benchmark (issue 12): `peerkit serve` alone against two `peerkit serve --cluster` nodes
# on one redis-server, all on loopback inside a fresh network namespace, in the same run.
#   (a) relay latency, light load: two PeerJS ids on the SAME node vs on TWO nodes (p50/p99);
#   (b) relayed messages per server CPU-second at saturation, one plain node vs two cluster nodes
#       with the pairs split across them (SPLITS: `cross` = every pair spans both nodes,
#       `mixed` = half the pairs cross, the other half wholly on A or B, `local` = no pair
#       crosses). Server CPU is utime+stime from /proc/<pid>/stat of the peerkit processes, and
#       of redis-server in the "with Redis" figures.
# The load generator is bench/sigload (the signaling benchmark's, with --port2/--split).
# Prints a table, appends it to docs/benchmarks.md (APPEND=0: don't), and ends with one summary
# line. Not a test: numbers move with machine load.
#
#   bench/cluster-bench.sh [ROUNDS]      (default 3)
# Environment: MESSAGES (throughput run, 100000), PAIRS (100), WINDOW (4), PAYLOAD (1000 bytes),
#   LAT_MESSAGES (latency run, 10000), LAT_PAIRS (10), LAT_WINDOW (1), SPLITS ("local cross
#   mixed"; `local` is the control: the same two processes with no message crossing),
#   NOTE (a line added to the appended section), PEERKIT (binary), RUN_LIMIT (seconds per
#   sigload run, 300), PERF=1 (perf record -g both nodes in round 1's cross run:
#   build/cluster-perf.data).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${PEERKIT_IN_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "needs root (unshare -n)"; exit 1; }
  PEERKIT_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
ROUNDS=${1:-3}
MESSAGES=${MESSAGES:-100000}
PAIRS=${PAIRS:-100}
WINDOW=${WINDOW:-4}
PAYLOAD=${PAYLOAD:-1000}
LAT_MESSAGES=${LAT_MESSAGES:-10000}
LAT_PAIRS=${LAT_PAIRS:-10}
LAT_WINDOW=${LAT_WINDOW:-1}
SPLITS=${SPLITS:-local cross mixed}
APPEND=${APPEND:-1}
PEERKIT=${PEERKIT:-$ROOT/build/bin/peerkit}
LOAD=$ROOT/build/bin/sigload
REDIS_PORT=6379
for s in $SPLITS; do
  case $s in cross|mixed|local) ;; *) echo "SPLITS: cross, mixed or local, got '$s'"; exit 2 ;; esac
done
[ -x "$LOAD" ] && [ -x "$PEERKIT" ] || { echo "build first (make build)"; exit 1; }
command -v redis-server > /dev/null || { echo "redis-server not installed (scripts/setup)"; exit 1; }
WORK=$(mktemp -d)
PIDS=()
stop_all() {  # by PID, the ones this script started
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  PIDS=()
}
trap 'stop_all; rm -rf "$WORK"' EXIT

wait_for() {  # wait_for WHAT COMMAND…: until COMMAND succeeds, 10 s at most
  local what=$1; shift
  for _ in $(seq 200); do "$@" > /dev/null 2>&1 && return 0; sleep 0.05; done
  echo "$what did not come up; logs in $WORK:"; tail -n 5 "$WORK"/*.log; exit 1
}
LIMITS=(--no-turn --concurrent_limit 100000 --messages-per-second 0 --max-connections-per-ip 0
        --log-level warn)
start_node() {  # start_node CPU PORT NAME [--cluster …]; sets NODE_PID
  local cpu=$1 port=$2 name=$3; shift 3
  taskset -c "$cpu" "$PEERKIT" serve --port "$port" "${LIMITS[@]}" "$@" > "$WORK/$name.log" 2>&1 &
  NODE_PID=$!
  PIDS+=("$NODE_PID")
  wait_for "peerkit $name" curl -sf -o /dev/null "http://127.0.0.1:$port/peerjs/id"
}
# Both nodes registered and each sees the other: only then do cross-node frames have a route.
sees_other() { curl -sf "http://127.0.0.1:$1/healthz" | grep -q 'registered, 1 other node'; }
start_cluster() {  # sets REDIS_PID A_PID B_PID
  redis-server --port $REDIS_PORT --bind 127.0.0.1 --save '' --appendonly no --dir "$WORK" \
    > "$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_for redis-server redis-cli -p $REDIS_PORT ping
  start_node 1 9001 node-a --cluster "redis://127.0.0.1:$REDIS_PORT" --node-id a; A_PID=$NODE_PID
  start_node 0 9002 node-b --cluster "redis://127.0.0.1:$REDIS_PORT" --node-id b; B_PID=$NODE_PID
  wait_for "node a seeing b" sees_other 9001
  wait_for "node b seeing a" sees_other 9002
}
ID_BASE=0
load() {  # load ARGS…: one sigload relay run
  timeout "${RUN_LIMIT:-300}" taskset -c 0 "$LOAD" relay --payload "$PAYLOAD" --id-base $ID_BASE "$@"
}
lat() { load --pairs "$LAT_PAIRS" --window "$LAT_WINDOW" --messages "$LAT_MESSAGES" "$@"; }
tput() { load --pairs "$PAIRS" --window "$WINDOW" --messages "$MESSAGES" "$@"; }
routed() {  # frames the cluster nodes routed to another node so far (empty: no cluster up)
  [ -n "${A_PID:-}" ] || return 0
  curl -s http://127.0.0.1:9001/metrics http://127.0.0.1:9002/metrics |
    awk '/^peerkit_cluster_peerjs_routed_total/ {n += $2} END {print n + 0}'
}
calc() { awk "BEGIN{ printf \"$1\", $2 }"; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }
declare -A R
record() {  # record CASE lat|tput ARGS…: run it, keep its figures
  local name=$1 out; shift
  ID_BASE=$((ID_BASE + 100000))  # fresh ids every run: the cluster nodes stay up between runs
  local routed0; routed0=$(routed)
  out=$("$@")
  # Frames that crossed nodes (both nodes' counters): `mixed` crosses on half the pairs, but
  # local pairs turn round faster, so their share of the messages is larger than half.
  [ -n "$routed0" ] && out+=" cross_share=$(calc %.2f "($(routed) - $routed0) / $(echo "$out" | field messages)")"
  echo "round $round $name: $out" | tee -a "$WORK/raw.txt"
  case $out in mode=relay*) ;; *) echo "sigload failed in $name"; exit 1 ;; esac
  case $out in *other_frames=*) echo "$name: frames were lost (EXPIRE/ERROR) — not a valid run"; exit 1 ;; esac
  for f in p50_us p99_us msgs_per_cpu_s msgs_per_cpu_s_redis cpu_us_per_msg msgs_per_s cross_share; do
    local v; v=$(echo "$out" | field $f)
    [ -n "$v" ] && R[$name,$f]+=" $v"
  done
}

for round in $(seq "$ROUNDS"); do
  start_node 1 9000 single
  record single-lat lat --port 9000 --server-pid "$NODE_PID"
  record single-tput tput --port 9000 --server-pid "$NODE_PID"
  stop_all
  start_cluster
  PK=(--server-pid "$A_PID" --server-pid "$B_PID" --redis-pid "$REDIS_PID")
  record same-lat lat --port 9001 "${PK[@]}"
  record cross-lat lat --port 9001 --port2 9002 --split cross "${PK[@]}"
  for s in $SPLITS; do
    PERF_PID=
    if [ "${PERF:-0}" = 1 ] && [ "$s" = cross ] && [ "$round" = 1 ]; then  # where the time goes
      perf record -g -o "$ROOT/build/cluster-perf.data" -p "$A_PID,$B_PID" > "$WORK/perf.log" 2>&1 &
      PERF_PID=$!
      sleep 0.5  # perf attaching; a missed first half-second only shortens the profile
    fi
    record "$s-tput" tput --port 9001 --port2 9002 --split "$s" "${PK[@]}"
    [ -n "$PERF_PID" ] && { kill -INT "$PERF_PID"; wait "$PERF_PID"; }
  done
  # Nothing may have fallen back to EXPIRE or an offline queue: every frame took the route.
  curl -s http://127.0.0.1:9001/metrics | grep -E '^peerkit_cluster_(peerjs_routed|peerjs_queued|send_failures)_total' \
    | sed "s/^/round $round node a: /" | tee -a "$WORK/raw.txt"
  stop_all
  A_PID=
done

median() { echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (NR) print NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
stats() {  # median (min–max)
  echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {if (!NR) {print "—"; exit} m = NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f (%.0f–%.0f)", m, v[1], v[NR]}'
}
M() { median ${R[$1,$2]:-}; }
SAME99=$(M same-lat p99_us) CROSS99=$(M cross-lat p99_us) ONE=$(M single-tput msgs_per_cpu_s)
TABLE=$(
  echo "| case | p50 µs | p99 µs | msgs per peerkit CPU-s | msgs per CPU-s, Redis counted | 2-core capacity vs 1 node (peerkit / with Redis) |"
  echo "|---|---|---|---|---|---|"
  echo "| latency: 1 node, no cluster ($LAT_PAIRS pairs × $LAT_WINDOW) | $(stats ${R[single-lat,p50_us]:-}) | $(stats ${R[single-lat,p99_us]:-}) | | | |"
  echo "| latency: both ids on node A of the cluster | $(stats ${R[same-lat,p50_us]:-}) | $(stats ${R[same-lat,p99_us]:-}) | | | |"
  echo "| latency: ids on nodes A and B | $(stats ${R[cross-lat,p50_us]:-}) | $(stats ${R[cross-lat,p99_us]:-}) | | | |"
  echo "| throughput: 1 node, no cluster ($PAIRS pairs × $WINDOW) | $(stats ${R[single-tput,p50_us]:-}) | $(stats ${R[single-tput,p99_us]:-}) | $(stats ${R[single-tput,msgs_per_cpu_s]:-}) | | 1 |"
  for s in $SPLITS; do
    two=$(M $s-tput msgs_per_cpu_s) twor=$(M $s-tput msgs_per_cpu_s_redis)
    echo "| throughput: 2 nodes, $s pairs ($(calc %.0f "100*$(M $s-tput cross_share)")% of messages crossed) | $(stats ${R[$s-tput,p50_us]:-}) | $(stats ${R[$s-tput,p99_us]:-}) | $(stats ${R[$s-tput,msgs_per_cpu_s]:-}) | $(stats ${R[$s-tput,msgs_per_cpu_s_redis]:-}) | $(calc '%.2f×' "2*$two/$ONE") / $(calc '%.2f×' "2*$twor/$ONE") |"
  done
)
SUMMARY="cluster-bench: p99 same-node $(calc %.2f "$SAME99/1000") ms, cross-node $(calc %.2f "$CROSS99/1000") ms ($(calc %+.2f "($CROSS99-$SAME99)/1000") ms, goal ≤ +2); msgs/CPU-s 1 node $ONE"
for s in $SPLITS; do
  two=$(M $s-tput msgs_per_cpu_s) twor=$(M $s-tput msgs_per_cpu_s_redis)
  SUMMARY+=", 2 nodes $s $two ($twor with Redis) → 2-core capacity $(calc '%.2f×' "2*$two/$ONE") ($(calc '%.2f×' "2*$twor/$ONE") with Redis)"
done
SUMMARY+=" (goal ≥ 1.6×)"
# The control: the same two nodes, pinned the same way, with no message crossing. What `cross`
# costs beyond it is the cluster's own work; what `local` costs beyond one node is the layout.
if [[ " $SPLITS " == *" local "* && " $SPLITS " == *" cross "* ]]; then
  SUMMARY+="; a crossing message costs $(calc '%.2f×' "$(M local-tput msgs_per_cpu_s)/$(M cross-tput msgs_per_cpu_s)") a local one on the same two nodes"
fi
SUMMARY+="; $ROUNDS round(s), medians"
echo; echo "$TABLE"
if [ "$APPEND" = 1 ]; then
  {
    echo
    echo "### Cluster — $(date -u +%Y-%m-%d), commit $(git -C "$ROOT" rev-parse --short HEAD)"
    echo
    echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); $(redis-server --version | cut -d' ' -f1-3)."
    echo "Command: \`bench/cluster-bench.sh $ROUNDS\` (MESSAGES=$MESSAGES PAIRS=$PAIRS WINDOW=$WINDOW PAYLOAD=$PAYLOAD LAT_MESSAGES=$LAT_MESSAGES LAT_PAIRS=$LAT_PAIRS LAT_WINDOW=$LAT_WINDOW SPLITS=\"$SPLITS\")."
    [ -n "${NOTE:-}" ] && echo "$NOTE"
    echo
    echo "$TABLE"
    echo
    echo "\`$SUMMARY\`"
  } >> "$ROOT/docs/benchmarks.md"
  echo "appended to docs/benchmarks.md"
fi
cp "$WORK/raw.txt" "$ROOT/build/cluster-bench-raw.txt" 2>/dev/null && echo "raw lines in build/cluster-bench-raw.txt"
echo "$SUMMARY"
