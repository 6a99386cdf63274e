#!/usr/bin/env bash
# ICE set-up benchmark (issue 4): time to "connected" and memory per agent.
#  1. Loopback, in a fresh network namespace: peerkit's agent (bench/iceconnect.cpp) against
#     libdatachannel's (libjuice, via npm node-datachannel 0.33.4, bench/node/ndc-connect.js),
#     same shape, same run: two peers in one process, 127.0.0.1 host candidates only.
#  2. The NAT topologies of tests/netns/ice_topology.sh: two ice_peer processes per call,
#     peerkit turn as STUN/TURN in "wan", no NAT / MASQUERADE / --random-fully; the time is
#     the later of the two peers' "state connected" (each measured from its own start).
#  3. Memory: RSS growth per agent with 500 connected pairs held (peerkit only).
# Prints the figures; docs/benchmarks.md records them. Not a test: numbers move with load.
#
#   bench/ice-bench.sh [RUNS]     (default 200 per measurement)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/netns/lib.sh"
# The peer comes from npm, before the namespace (which has no route to the registry).
if [ "${PEERKIT_IN_NETNS:-}" != 1 ] && [ ! -d "$ROOT/bench/node/node_modules/node-datachannel" ]; then
  (cd "$ROOT/bench/node" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci in bench/node failed"; exit 1; }
fi
in_fresh_netns "$@"
RUNS=${1:-200}
PEERKIT=$ROOT/build/bin/peerkit
ICE_PEER=$ROOT/build/bin/ice_peer
ICECONNECT=$ROOT/build/bin/iceconnect
[ -x "$ICECONNECT" ] && [ -x "$ICE_PEER" ] || { echo "build first (make build)"; exit 1; }

echo "== loopback, $RUNS runs each (creation → both connected)"
peerkit_line=$(taskset -c 0 "$ICECONNECT" connect "$RUNS")
ndc_line=$(taskset -c 0 node "$ROOT/bench/node/ndc-connect.js" "$RUNS")
echo "peerkit           $peerkit_line"
echo "node-datachannel  $ndc_line"
field() { echo "$1" | grep -oE "$2=[0-9]+" | cut -d= -f2; }
for p in p50 p99; do
  a=$(field "$peerkit_line" ${p}_us)
  b=$(field "$ndc_line" ${p}_us)
  awk -v p=$p -v a="$a" -v b="$b" 'BEGIN { printf "%s: peerkit %.3f ms, node-datachannel %.3f ms, ratio %.2fx faster\n", p, a/1000, b/1000, b/a }'
done

echo "== memory"
"$ICECONNECT" memory 500

echo "== NAT topologies, $RUNS calls each"
source "$ROOT/tests/netns/ice_topology.sh"
for mode in none masq random; do
  nat "$mode"
  times=()
  for i in $(seq "$RUNS"); do
    call "bench-$mode-$i" --send-every-ms 1000
    if wait_line "$D/left.log" '^state connected' 10 && wait_line "$D/right.log" '^state connected' 10; then
      l=$(grep -m1 '^state connected' "$D/left.log" | awk '{print $3}')
      r=$(grep -m1 '^state connected' "$D/right.log" | awk '{print $3}')
      times+=($(( l > r ? l : r )))
    else
      times+=(99999)
    fi
    hangup
    rm -rf "$D"
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v mode="$mode" '{ t[NR] = $1 }
    END { p50 = t[int(NR * 0.5) + 1]; p99 = t[int(NR * 0.99) + 1]; if (p99 == "") p99 = t[NR];
          printf "%-7s calls=%d p50_ms=%d p99_ms=%d max_ms=%d\n", mode, NR, p50, p99, t[NR] }'
done
