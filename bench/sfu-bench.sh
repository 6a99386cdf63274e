#!/usr/bin/env bash
# T10 of ../shared/perf/targets.md: SFU forwarding, peerkit serve's SFU against Janus 1.1.2
# VideoRoom (Debian `janus`), the same load from the same generator (build/bin/sfuload: peerkit
# PeerConnections publishing a VP8 track each with three simulcast layers, subscribers receiving
# every publisher), ROUNDS
# rounds alternating the two servers, in a fresh network namespace whose only non-loopback address
# is 10.77.0.1 on one end of a veth pair (libnice, under Janus, does not gather loopback; everything
# stays inside the namespace). Each server runs alone on one core's worth of threads: peerkit
# with one SFU worker, Janus as it comes. The figure is forwarded SRTP packets per server
# CPU-second (utime + stime of the server process over the measured window), and the loss;
# for peerkit also T11's p99 from its forwarding-latency histogram (/metrics; Janus has none);
# then T12, the RSS growth per published and per subscribed track, at a camera's rate (per
# subscribed: what the second half of the subscribers adds; per published: the rest of the
# growth, which includes the ingress packets held for retransmission).
# The LAST line is
#   SFU forwarding: peerkit <X> pkt/CPU-s, janus <Y> pkt/CPU-s
# Not a test: numbers move with machine load — run it on a quiet machine; copy the figures to
# docs/benchmarks.md with the command.
#
#   make bench-sfu                                  (= make build && bench/sfu-bench.sh)
#   PUBLISHERS=2 SUBSCRIBERS=10 PPS=1000 LAYERS=3 SECONDS_PER_RUN=10 ROUNDS=3 bench/sfu-bench.sh
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
source "$ROOT/tests/netns/lib.sh"
command -v janus > /dev/null || { echo "janus missing: run scripts/setup (Debian package janus)"; exit 1; }
in_fresh_netns "$@"
PUBLISHERS=${PUBLISHERS:-2}
SUBSCRIBERS=${SUBSCRIBERS:-10}
PPS=${PPS:-1000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-10}
ROUNDS=${ROUNDS:-3}
LAYERS=${LAYERS:-3}  # simulcast layers per publisher: 3 (q, h, f; PPS is f's rate) or 1
# T12 (memory) runs once per server after the T10 rounds, at a camera's rate: f at 150 packets/s
# (≈ 1.3 Mbit/s; with h and q ≈ 2 Mbit/s), so the SFU's packet history is what a real call costs.
T12_PUBLISHERS=${T12_PUBLISHERS:-8}
T12_SUBSCRIBERS=${T12_SUBSCRIBERS:-20}
T12_PPS=${T12_PPS:-150}
SERVERS=${SERVERS:-peerkit janus}  # both, in this order, each round
# T13 (peerkit only: Janus's VideoRoom does not switch layers by itself): one subscriber behind
# a user-space impaired path (bench/impair_relay.h), a direct one as the control.
T13_CAP_KBPS=${T13_CAP_KBPS:-1000}
T13_RTT_MS=${T13_RTT_MS:-100}
T13_LOSS_PERCENT=${T13_LOSS_PERCENT:-2}
T13_PPS=${T13_PPS:-360}      # f ≈ 3 Mbit/s, h ≈ 0.9, q ≈ 0.3: under 1 Mbit/s, h fits
T13_CAPPED_S=${T13_CAPPED_S:-15}
PARTS=${PARTS:-T10 T12 T13}  # which measurements run
BIN=${BIN:-$ROOT/build/bin}
[ -x "$BIN/sfuload" ] && [ -x "$BIN/sfuadapt" ] && [ -x "$BIN/peerkit" ] || { echo "build first (make build)"; exit 1; }
part() { [[ " $PARTS " == *" $1 "* ]]; }
IP=10.77.0.1
# A veth pair with both ends here (the kernel has no dummy interfaces): d0 carries the address.
ip link add d0 type veth peer name d1 && ip link set d0 up && ip link set d1 up &&
  ip addr add "$IP/32" dev d0 || { echo "cannot make the veth pair"; exit 1; }
WORK=$(mktemp -d /tmp/peerkit-sfu-bench.XXXXXX)
PIDS=()
trap 'cleanup; ip link del d0 2>/dev/null; [ -n "${KEEP_WORK:-}" ] || rm -rf "$WORK"' EXIT

# Janus: the VideoRoom plugin and the HTTP transport only, host candidates on d0 only.
janus_lib=$(dirname "$(ls /usr/lib/*/janus/plugins/libjanus_videoroom.so | head -1)")/..
disabled() { (cd "$janus_lib/$1" && ls lib*.so | grep -v -e "$2" | paste -sd, -); }
mkdir -p "$WORK/janus"
cat > "$WORK/janus/janus.jcfg" <<EOF
general: {
  configs_folder = "$WORK/janus"
  plugins_folder = "$janus_lib/plugins"
  transports_folder = "$janus_lib/transports"
  events_folder = "$janus_lib/events"
  loggers_folder = "$janus_lib/loggers"
  debug_level = 3
  session_timeout = 120
}
media: { rtp_port_range = "20000-40000" }
nat: { ice_enforce_list = "d0" ignore_mdns = true }
plugins: { disable = "$(disabled plugins videoroom)" }
transports: { disable = "$(disabled transports libjanus_http)" }
events: { broadcast = false disable = "$(disabled events NONE)" }
loggers: { disable = "$(disabled loggers NONE)" }
EOF
cat > "$WORK/janus/janus.transport.http.jcfg" <<EOF
general: { json = "compact" base_path = "/janus" http = true port = 8088 ip = "$IP" https = false }
admin: { admin_http = false admin_https = false }
EOF
echo 'general: { }' > "$WORK/janus/janus.plugin.videoroom.jcfg"

load() {  # load SERVER PORT PID: one sfuload run against it, then the server stopped
  local out status p99=""
  out=$("$BIN/sfuload" "$1" "$IP" "$2" "$3" "$RUN_PUBLISHERS" "$RUN_SUBSCRIBERS" "$RUN_PPS" "$SECONDS_PER_RUN" "$LAYERS" \
        2>> "$WORK/sfuload.log")
  status=$?
  [ "$status" -eq 0 ] || echo "sfuload against $1 exited with status $status" >> "$WORK/sfuload.log"
  # T11 (peerkit only: Janus has no such measure): the worker's ingress → egress histogram over
  # the whole run, p99 as the upper bound of the bucket that holds it.
  if [ "$1" = peerkit ] && command -v curl > /dev/null; then
    p99=$(curl -s "http://$IP:$2/metrics" | awk -F'[{}", ]+' '/^peerkit_sfu_forwarding_latency_seconds_bucket/ {
            for (i = 1; i < NF; i++) if ($i == "le=") le = $(i + 1); n[le] += $NF; order[++k] = le }
          END { total = n["+Inf"]; for (j = 1; j <= k; j++) if (n[order[j]] >= 0.99 * total && total > 0) { print order[j]; exit } }')
  fi
  echo "$(echo "$out" | tail -1)${p99:+ forwarding_p99_le_s=$p99}"
  kill "$3"; wait "$3" 2>/dev/null
}
run_peerkit() {
  "$BIN/peerkit" serve --host "$IP" --port 9000 --no-turn --sfu-workers 1 --sfu-port 3480 \
    --log-level warn > "$WORK/peerkit.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_for_port tcp 9000 > /dev/null && wait_for_port udp 3480 > /dev/null
  load peerkit 9000 "$pid"
}
run_janus() {
  janus -C "$WORK/janus/janus.jcfg" -F "$WORK/janus" > "$WORK/janus.log" 2>&1 &
  local pid=$!
  PIDS+=("$pid")
  wait_for_port tcp 8088 > /dev/null
  load janus 8088 "$pid"
}

field() { echo "$1" | grep -oE "(^| )$2=-?[0-9.]+" | cut -d= -f2; }
stats() { printf '%s\n' "$@" | awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
                                     END { printf "%.0f %.0f %.0f", s / NR, lo, hi }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "n/a" }'; }

pk=() ja=() pk_loss=() ja_loss=() pk_p99=() t12=()
if part T10; then
echo "== T10: $PUBLISHERS publishers × $PPS packets/s on the top of $LAYERS layer(s), $SUBSCRIBERS subscribers each" \
     "receiving every publisher, $ROUNDS rounds of $SECONDS_PER_RUN s per server, alternating"
RUN_PUBLISHERS=$PUBLISHERS RUN_SUBSCRIBERS=$SUBSCRIBERS RUN_PPS=$PPS
for r in $(seq "$ROUNDS"); do
  for server in $SERVERS; do
    "run_$server" > "$WORK/line"  # not in a subshell: the server's PID stays in PIDS for cleanup
    line=$(cat "$WORK/line")
    if [ -z "$(field "$line" pkt_per_cpu_s)" ]; then
      echo "  $server FAILED: $line $(tail -3 "$WORK/sfuload.log")" >&2
      continue
    fi
    echo "  $line"
    if [ "$server" = peerkit ]; then pk+=("$(field "$line" pkt_per_cpu_s)"); pk_loss+=("$(field "$line" loss)")
      pk_p99+=("$(echo "$line" | grep -oE 'forwarding_p99_le_s=[^ ]+' | cut -d= -f2)")
    else ja+=("$(field "$line" pkt_per_cpu_s)"); ja_loss+=("$(field "$line" loss)"); fi
  done
done
fi
if part T12; then
echo "== T12: $T12_PUBLISHERS publishers × $T12_PPS packets/s on the top layer, $T12_SUBSCRIBERS subscribers, once per server"
RUN_PUBLISHERS=$T12_PUBLISHERS RUN_SUBSCRIBERS=$T12_SUBSCRIBERS RUN_PPS=$T12_PPS
for server in $SERVERS; do
  "run_$server" > "$WORK/line"
  line=$(cat "$WORK/line")
  echo "  $line"
  t12+=("$server $(field "$line" kib_per_published) KiB per published video track, $(field "$line" kib_per_subscribed) KiB per subscribed track")
done
fi
t13=""
if part T13; then
  echo "== T13: one subscriber behind ${T13_CAP_KBPS} kbit/s, ${T13_RTT_MS} ms RTT, ${T13_LOSS_PERCENT} % loss (user-space relay); a direct one as the control"
  "$BIN/peerkit" serve --host "$IP" --port 9000 --no-turn --sfu-workers 1 --sfu-port 3480 \
    --log-level warn > "$WORK/peerkit.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  wait_for_port tcp 9000 > /dev/null && wait_for_port udp 3480 > /dev/null
  t13=$("$BIN/sfuadapt" "$IP" 9000 "$T13_CAP_KBPS" "$T13_RTT_MS" "$T13_LOSS_PERCENT" "$T13_PPS" "$T13_CAPPED_S" \
        2>> "$WORK/sfuload.log" | tail -1)
  kill "$pid"; wait "$pid" 2>/dev/null
  echo "  ${t13:-sfuadapt FAILED: $(tail -3 "$WORK/sfuload.log")}"
fi
read -r pk_mean pk_lo pk_hi <<< "$(stats "${pk[@]:-0}")"
read -r ja_mean ja_lo ja_hi <<< "$(stats "${ja[@]:-0}")"
if part T10; then
  echo "T10: peerkit $pk_mean pkt/CPU-s ($pk_lo–$pk_hi, loss ${pk_loss[*]:-n/a}), janus $ja_mean ($ja_lo–$ja_hi, loss ${ja_loss[*]:-n/a});" \
       "ratio $(ratio "$pk_mean" "$ja_mean")x (target ≥ 5x; ≥ 250 k/s per core at < 0.1 % loss)"
  echo "T11: peerkit's ingress → egress p99 ≤ ${pk_p99[*]:-n/a} s per round, at this load (target ≤ 1 ms at 80 % of the maximum)"
fi
for t in "${t12[@]}"; do echo "T12: $t (target: peerkit ≤ 2048 and ≤ 64)"; done
[ -n "$t13" ] && echo "$t13 (targets: settle_s ≤ 5 on the fitting layer, goodput 0.8–1.2, residual_loss < 0.01, back_on_top_s ≤ 10)"
part T10 && echo "SFU forwarding: peerkit $pk_mean pkt/CPU-s, janus $ja_mean pkt/CPU-s"
exit 0
