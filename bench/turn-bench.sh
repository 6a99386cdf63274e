#!/usr/bin/env bash
# Side-by-side TURN/STUN benchmark: coturn 4.6.1 (Debian) against peerkit turn, targets T1-T4 of
# ../shared/perf/targets.md. Everything runs on loopback inside a fresh network namespace.
# Each round starts coturn then peerkit (A B A B …) with equal settings: one worker each, the
# server pinned to CPU 1 and the load generator to CPU 0, same relay port range. Prints a table
# and appends it to docs/benchmarks.md. Not a test: numbers move with machine load.
#
#   bench/turn-bench.sh [ROUNDS]            (default 5)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ "${PEERKIT_IN_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "needs root (unshare -n)"; exit 1; }
  PEERKIT_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
ip link set lo up
ROUNDS=${1:-5}
PEERKIT=${PEERKIT:-$ROOT/build/bin/peerkit}  # PEERKIT=/path/to/other/build for an A/B run
LOAD=$ROOT/build/bin/turnload
WORK=$(mktemp -d)
SERVER_PID=
trap '[ -n "$SERVER_PID" ] && kill $SERVER_PID 2>/dev/null; wait 2>/dev/null' EXIT

start_server() {  # start_server coturn|peerkit
  if [ "$1" = coturn ]; then
    taskset -c 1 turnserver -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
      --min-port=49152 --max-port=65535 --lt-cred-mech --user=bench:bench --realm=bench.local \
      --allow-loopback-peers --no-cli --no-tls --no-dtls --no-tcp --relay-threads=1 \
      --log-file=stdout --simple-log --no-stdout-log --pidfile="$WORK/ts.pid" --userdb="$WORK/turndb" \
      >"$WORK/coturn.log" 2>&1 &
  else
    taskset -c 1 "$PEERKIT" turn -n --listening-ip=127.0.0.1 --relay-ip=127.0.0.1 --listening-port=3478 \
      --min-port=49152 --max-port=65535 --user=bench:bench --realm=bench.local \
      --allow-loopback-peers --no-tls --no-tcp --relay-threads=1 --unauthorized-ratelimit=off \
      --rfc5766-channel-numbers --log-file="$WORK/peerkit.log" --log-level=warn &
  fi
  SERVER_PID=$!
  for _ in $(seq 100); do ss -lun | grep -q ':3478 ' && return 0; sleep 0.05; done
  echo "server $1 did not start"; exit 1
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
load() { taskset -c 0 "$LOAD" "$@" --server 127.0.0.1:3478 --server-pid "$SERVER_PID"; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

# T1: relayed packets per server CPU-second at a load both servers carry without loss (coturn
# 4.6.1 with one relay thread starts losing packets between 20 000 and 40 000 pps here, and a
# saturated server's CPU figure says nothing), then the highest offered load with < 0.1 % loss,
# stepping up until two steps in a row lose more.
T1_RATE=${T1_RATE:-20000}
STEPS=${STEPS:-"20000 40000 60000 80000 100000 120000 150000 180000"}
t1() {
  local best=0 fails=0 per_cpu out loss
  out=$(load relay --pairs 32 --rate "$T1_RATE" --seconds 4 --size 160)
  echo "  $1 $out" >>"$WORK/raw.txt"
  per_cpu=$(echo "$out" | field delivered_per_cpu_s)
  for rate in $STEPS; do
    out=$(load relay --pairs 32 --rate "$rate" --seconds 2 --size 160)
    echo "  $1 $out" >>"$WORK/raw.txt"
    loss=$(echo "$out" | field loss_pct)
    [ -n "$loss" ] || { fails=$((fails + 1)); [ $fails -ge 2 ] && break; continue; }
    if awk "BEGIN{exit !($loss < 0.1)}"; then best=$(echo "$out" | field received_pps); fails=0
    else fails=$((fails + 1)); [ $fails -ge 2 ] && break; fi
  done
  echo "$per_cpu $best"
}
t2() { load stun --sockets 16 --rate 60000 --seconds 3 | sed "s/^/  $1 /" | tee -a "$WORK/raw.txt" | field responses_per_cpu_s; }
t3() { load alloc --sockets 32 --seconds 3 | sed "s/^/  $1 /" | tee -a "$WORK/raw.txt" | field allocations_per_s; }
t4() { load hold --allocations 10000 | sed "s/^/  $1 /" | tee -a "$WORK/raw.txt" | field kib_per_allocation; }

declare -A R
for round in $(seq "$ROUNDS"); do
  for server in coturn peerkit; do
    start_server $server; read -r a b < <(t1 $server); stop_server
    R[$server,t1cpu]+="$a "; R[$server,t1max]+="$b "
    start_server $server; R[$server,t2]+="$(t2 $server) "; stop_server
    start_server $server; R[$server,t3]+="$(t3 $server) "; stop_server
    start_server $server; R[$server,t4]+="$(t4 $server) "; stop_server
    echo "round $round $server: t1=${a}/cpu-s max=${b}pps t2=$(echo ${R[$server,t2]} | awk '{print $NF}') t3=$(echo ${R[$server,t3]} | awk '{print $NF}') t4=$(echo ${R[$server,t4]} | awk '{print $NF}')"
  done
done

stats() {  # median and min-max of a list
  echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {m = NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2; printf "%.0f (%.0f–%.0f)", m, v[1], v[NR]}'
}
median() { echo "$@" | tr ' ' '\n' | grep -v '^$' | sort -g | awk '{v[NR]=$1} END {print NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
ratio() { awk "BEGIN{ if ($2 > 0) printf \"%.2f×\", $1/$2; else print \"—\" }"; }
row() {  # row TARGET WHAT KEY GOAL
  local p=$(median ${R[peerkit,$3]}) c=$(median ${R[coturn,$3]})
  printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$(stats ${R[peerkit,$3]})" "$(stats ${R[coturn,$3]})" "$(ratio $p $c)" "$4"
}
row4() {
  local p=$(median ${R[peerkit,t4]}) c=$(median ${R[coturn,t4]})
  printf '| T4 | KiB of RSS per allocation with one channel (10 000) | %s | %s | %s | ≤ 4 KiB |\n' \
    "$(echo ${R[peerkit,t4]} | tr ' ' '\n' | sort -g | awk '{v[NR]=$1} END {printf "%.2f (%.2f–%.2f)", v[int((NR+1)/2)], v[1], v[NR]}')" \
    "$(echo ${R[coturn,t4]} | tr ' ' '\n' | sort -g | awk '{v[NR]=$1} END {printf "%.2f (%.2f–%.2f)", v[int((NR+1)/2)], v[1], v[NR]}')" \
    "$(ratio $p $c)"
}
TABLE=$(
  echo "| target | measure | peerkit median (min–max) | coturn median (min–max) | peerkit/coturn | goal |"
  echo "|---|---|---|---|---|---|"
  row T1 "relayed packets per server CPU-second (at $T1_RATE pps offered, both lossless)" t1cpu "≥ 2×"
  row T1 "max relayed packets/s with < 0.1 % loss" t1max "≥ 1.5×"
  row T2 "Binding responses per server CPU-second" t2 "≥ 2×"
  row T3 "allocations/s (Allocate + 401 + Refresh 0)" t3 "≥ 5 000/s"
  row4
)
echo; echo "$TABLE"
{
  echo
  echo "### TURN/STUN vs coturn — $(date -u +%Y-%m-%d), commit $(git -C "$ROOT" rev-parse --short HEAD)"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -r); coturn $(turnserver --version 2>/dev/null | head -1 || echo 4.6.1)."
  echo "Command: \`bench/turn-bench.sh $ROUNDS\` ($ROUNDS rounds, A B A B; server on CPU 1 with one worker, load generator on CPU 0)."
  echo
  echo "$TABLE"
} >>"$ROOT/docs/benchmarks.md"
cp "$WORK/raw.txt" "$ROOT/build/turn-bench-raw.txt" 2>/dev/null
echo "appended to docs/benchmarks.md; raw lines in build/turn-bench-raw.txt"
