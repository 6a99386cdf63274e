#!/usr/bin/env bash
# The native peer against libdatachannel (npm node-datachannel 0.33.4) and libwebrtc (npm
# @roamhq/wrtc 0.10.0), targets T7–T9 of ../shared/perf/targets.md, same shapes, same run, in a
# fresh network namespace with only lo (every peer gathers 127.0.0.1 alone):
#  T7  goodput: two PeerConnections in one process, one reliable ordered channel, 64 KiB
#      messages kept between 1 and 4 MiB buffered (peerkit and node-datachannel refill from the
#      low-threshold event, wrtc by polling bufferedAmount: its event never fires). T7_SECONDS
#      per stack, split into ROUNDS slices run alternately (peerkit, ndc, wrtc, peerkit, …).
#      Also the thread scaling of the issue: peerkit Runtime{2} with 2 pairs against Runtime{1}
#      with 1 pair (a pair: two connected PeerConnections), ratio of bytes moved (target ≥ 1.8×).
#  T8  set-up: create both peers → channel open on both, SETUP_RUNS times, p50/p99.
#  T9  memory: MEM_PCS idle PeerConnections (MEM_PCS/2 connected pairs in one process), one open
#      channel each, RSS growth per PeerConnection (peerkit and node-datachannel).
# Prints the figures and ratios; the LAST line is
#   T7 goodput: peerkit <X> MB/s, node-datachannel <Y> MB/s, wrtc <Z> MB/s
# Nothing is written to docs/benchmarks.md: copy the figures there with the command below. Not a
# test: numbers move with machine load — run it on a quiet machine.
#
#   make bench-peer      (= make build && bench/peer-bench.sh: the measurement, 30 s per stack, 200 set-ups)
#   T7_SECONDS=3 SETUP_RUNS=20 MEM_PCS=200 bench/peer-bench.sh    (a smoke run)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/netns/lib.sh"
# The named peers come from npm, before the namespace (which has no route to the registry).
if [ "${PEERKIT_IN_NETNS:-}" != 1 ] && { [ ! -d "$ROOT/bench/node/node_modules/node-datachannel" ] ||
                                         [ ! -d "$ROOT/bench/node/node_modules/@roamhq/wrtc" ]; }; then
  (cd "$ROOT/bench/node" && npm ci --no-audit --no-fund --loglevel=error) || { echo "npm ci in bench/node failed"; exit 1; }
fi
in_fresh_netns "$@"
T7_SECONDS=${T7_SECONDS:-30}
ROUNDS=${ROUNDS:-3}
SETUP_RUNS=${SETUP_RUNS:-200}
MEM_PCS=${MEM_PCS:-1000}
PEERBENCH=${PEERBENCH:-$ROOT/build/bin/peerbench}
PEERS_JS=$ROOT/bench/node/peers.js
[ -x "$PEERBENCH" ] || { echo "build first (make build)"; exit 1; }
slice=$(awk -v t="$T7_SECONDS" -v r="$ROUNDS" 'BEGIN { printf "%.2f", t / r }')

field() { echo "$1" | grep -oE "(^| )$2=[0-9.]+" | cut -d= -f2; }
# mean min max of the numbers given
stats() { printf '%s\n' "$@" | awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
                                     END { printf "%.1f %.1f %.1f", s / NR, lo, hi }'; }
run() {  # run NAME CMD...: one figure line, or a failure noted (the bench goes on)
  local name=$1 out; shift
  out=$("$@" 2>&1 | tail -1)
  if [ -z "$(field "$out" goodput_mbps)$(field "$out" p50_us)$(field "$out" kib_per_pc)" ]; then
    echo "  $name FAILED: $out" >&2
    echo "failed"
    return
  fi
  echo "  $name $out" >&2
  echo "$out"
}

echo "== T7 goodput, $ROUNDS rounds of ${slice} s per stack, alternating"
pk=() ndc=() wr=()
for r in $(seq "$ROUNDS"); do
  l=$(run peerkit "$PEERBENCH" goodput "$slice");                       pk+=("$(field "$l" goodput_mbps)")
  l=$(run node-datachannel node "$PEERS_JS" node-datachannel goodput "$slice"); ndc+=("$(field "$l" goodput_mbps)")
  l=$(run wrtc node "$PEERS_JS" wrtc goodput "$slice");                   wr+=("$(field "$l" goodput_mbps)")
done
read -r pk_mean pk_lo pk_hi <<< "$(stats "${pk[@]:-0}")"
read -r ndc_mean ndc_lo ndc_hi <<< "$(stats "${ndc[@]:-0}")"
read -r wr_mean wr_lo wr_hi <<< "$(stats "${wr[@]:-0}")"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }
echo "T7: peerkit $pk_mean MB/s ($pk_lo–$pk_hi), node-datachannel $ndc_mean ($ndc_lo–$ndc_hi), wrtc $wr_mean ($wr_lo–$wr_hi);" \
     "peerkit/ndc $(ratio "$pk_mean" "$ndc_mean")x, peerkit/wrtc $(ratio "$pk_mean" "$wr_mean")x (targets ≥ 3x each, ≥ 250 MB/s)"

echo "== thread scaling: Runtime{1} with 1 pair vs Runtime{2} with 2 pairs, $ROUNDS rounds of ${slice} s"
one=() two=()
for r in $(seq "$ROUNDS"); do
  l=$(run "1 pair/1 thread " "$PEERBENCH" goodput "$slice" 1 1);  one+=("$(field "$l" goodput_mbps)")
  l=$(run "2 pairs/2 threads" "$PEERBENCH" goodput "$slice" 2 2); two+=("$(field "$l" goodput_mbps)")
done
read -r one_mean _ _ <<< "$(stats "${one[@]:-0}")"
read -r two_mean _ _ <<< "$(stats "${two[@]:-0}")"
echo "scaling: 1 pair on 1 thread $one_mean MB/s, 2 pairs on 2 threads $two_mean MB/s, ratio $(ratio "$two_mean" "$one_mean")x (target ≥ 1.8x)"

echo "== T8 set-up, $SETUP_RUNS runs each (create both peers → channel open on both)"
s_pk=$(run peerkit "$PEERBENCH" setup "$SETUP_RUNS")
s_ndc=$(run node-datachannel node "$PEERS_JS" node-datachannel setup "$SETUP_RUNS")
s_wr=$(run wrtc node "$PEERS_JS" wrtc setup "$SETUP_RUNS")
ms() { awk -v u="$1" 'BEGIN { if (u == "") printf "n/a"; else printf "%.2f", u / 1000 }'; }
for p in p50 p99; do
  a=$(field "$s_pk" ${p}_us) b=$(field "$s_ndc" ${p}_us) c=$(field "$s_wr" ${p}_us)
  echo "T8 $p: peerkit $(ms "$a") ms, node-datachannel $(ms "$b") ms, wrtc $(ms "$c") ms;" \
       "ndc/peerkit $(ratio "$b" "$a")x, wrtc/peerkit $(ratio "$c" "$a")x"
done
echo "(targets: p50 ≤ ½ node-datachannel's, p99 ≤ 20 ms)"

echo "== T9 memory, $MEM_PCS idle PeerConnections ($((MEM_PCS / 2)) pairs in one process), one open channel each"
m_pk=$(run peerkit "$PEERBENCH" memory "$MEM_PCS")
m_ndc=$(run node-datachannel node "$PEERS_JS" node-datachannel memory "$MEM_PCS")
a=$(field "$m_pk" kib_per_pc) b=$(field "$m_ndc" kib_per_pc)
echo "T9: peerkit ${a:-n/a} KiB per PeerConnection, node-datachannel ${b:-n/a} KiB; peerkit/ndc $(ratio "${a:-0}" "${b:-0}") (targets ≤ 96 KiB, ≤ 0.33)"

echo "T7 goodput: peerkit $pk_mean MB/s, node-datachannel $ndc_mean MB/s, wrtc $wr_mean MB/s"
