#!/usr/bin/env bash
# ICE across real Linux NATs (../shared/testing/environment.md §6). Two ice_peer processes, one
# behind each NAT, signal through FIFOs; `peerkit turn` in "wan" is their STUN and TURN server.
#
#   left 10.0.1.2 ── natl 10.0.1.1 | 203.0.113.1 ──┐
#                                                   br0 in wan: 203.0.113.10 (peerkit turn)
#   right 10.0.2.2 ── natr 10.0.2.1 | 203.0.113.2 ──┘
#
# Every scenario asserts the selected pair's candidate types (on both sides) and that
# application data crosses it. The namespaces are created here and deleted on exit; the peers
# gather only on their namespace's addresses (--hosts), so nothing reaches eth0.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
ICE_PEER=${ICE_PEER:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/ice_peer}
WORK=$(mktemp -d)
P=pkice$$
NAMESPACES=()
ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
teardown() {
  cleanup
  for n in "${NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null; done
}
trap teardown EXIT

for n in left natl right natr wan; do
  ip netns add "$P-$n" && NAMESPACES+=("$P-$n") || exit 1
  ns "$n" ip link set lo up
done
ip link add l0 netns "$P-left" type veth peer name n0 netns "$P-natl"
ip link add r0 netns "$P-right" type veth peer name n0 netns "$P-natr"
ip link add wl netns "$P-wan" type veth peer name n1 netns "$P-natl"
ip link add wr netns "$P-wan" type veth peer name n1 netns "$P-natr"
ns wan ip link add br0 type bridge
ns wan ip link set wl master br0
ns wan ip link set wr master br0
ns wan ip addr add 203.0.113.10/24 dev br0
for l in br0 wl wr; do ns wan ip link set "$l" up; done
ns left ip addr add 10.0.1.2/24 dev l0
ns left ip link set l0 up
ns left ip route add default via 10.0.1.1
ns right ip addr add 10.0.2.2/24 dev r0
ns right ip link set r0 up
ns right ip route add default via 10.0.2.1
ns natl ip addr add 10.0.1.1/24 dev n0
ns natl ip addr add 203.0.113.1/24 dev n1
ns natr ip addr add 10.0.2.1/24 dev n0
ns natr ip addr add 203.0.113.2/24 dev n1
for n in natl natr; do
  ns "$n" ip link set n0 up
  ns "$n" ip link set n1 up
  ns "$n" sysctl -qw net.ipv4.ip_forward=1
done

start turn ns wan "$PEERKIT" turn -n -L 203.0.113.10 --realm ice.test --user peer:peer-pw \
  --allowed-peer-ip 203.0.113.0/24 --allowed-peer-ip 10.0.0.0/8 --log-file "$WORK/turn-server.log"
for _ in $(seq 100); do ns wan ss -lnu | grep -q '203.0.113.10:3478 ' && break; sleep 0.1; done

# nat MODE: none (plain routers), masq (MASQUERADE: endpoint-independent mapping,
# address-and-port-dependent filtering), random (MASQUERADE --random-fully: symmetric).
nat() {
  for n in natl natr; do
    ns "$n" iptables -t nat -F
    ns "$n" iptables -F
    ns "$n" conntrack -F >/dev/null 2>&1
  done
  ns natl ip route del 10.0.2.0/24 2>/dev/null
  ns natr ip route del 10.0.1.0/24 2>/dev/null
  ns wan ip route del 10.0.1.0/24 2>/dev/null
  ns wan ip route del 10.0.2.0/24 2>/dev/null
  case $1 in
    none)  # plain routing: every address is reachable from everywhere
      ns natl ip route add 10.0.2.0/24 via 203.0.113.2
      ns natr ip route add 10.0.1.0/24 via 203.0.113.1
      ns wan ip route add 10.0.1.0/24 via 203.0.113.1
      ns wan ip route add 10.0.2.0/24 via 203.0.113.2 ;;
    masq)
      for n in natl natr; do ns "$n" iptables -t nat -A POSTROUTING -o n1 -j MASQUERADE; done ;;
    random)
      for n in natl natr; do ns "$n" iptables -t nat -A POSTROUTING -o n1 -j MASQUERADE --random-fully; done ;;
  esac
  if [ "$1" != none ]; then
    # Like a home router's firewall: unsolicited packets to the NAT itself are dropped. Without
    # this Linux confirms a conntrack entry for a peer's first check arriving before our own
    # first packet to that peer, and then SNATs our packet to a random port (a tuple clash),
    # which turns the NAT symmetric for exactly the flow hole punching needs.
    for n in natl natr; do
      ns "$n" iptables -A INPUT -i n1 -p udp -m conntrack --ctstate NEW -j DROP
    done
  fi
}
# 5 % random loss each way on both NATs' forwarding path.
lossy() {
  for n in natl natr; do
    ns "$n" iptables -A FORWARD -p udp -m statistic --mode random --probability 0.05 -j DROP
  done
}

RUN=0
LEFT_PID=0
RIGHT_PID=0
# call NAME [ice_peer options for both sides...]: starts both peers wired through FIFOs.
call() {
  RUN=$((RUN + 1))
  local name=$1; shift
  D=$WORK/$RUN-$name
  mkdir -p "$D"
  mkfifo "$D/to-left" "$D/to-right"
  # The script keeps both FIFOs open read-write, so no open ever blocks and it can inject
  # commands (restart) next to the other peer's lines.
  exec 7<>"$D/to-left" 8<>"$D/to-right"
  # `ip netns exec` execs the peer, so $! is the peer's own PID (to stop it by PID).
  ip netns exec "$P-left" "$ICE_PEER" --role controlling --hosts 10.0.1.0/24 --stun 203.0.113.10:3478 \
    --turn 203.0.113.10:3478 --turn-user peer --turn-pass peer-pw "$@" \
    --signal-out "$D/to-right" <"$D/to-left" >"$D/left.log" 2>&1 &
  LEFT_PID=$!
  PIDS+=($LEFT_PID)
  ip netns exec "$P-right" "$ICE_PEER" --role controlled --hosts 10.0.2.0/24 --stun 203.0.113.10:3478 \
    --turn 203.0.113.10:3478 --turn-user peer --turn-pass peer-pw "$@" \
    --signal-out "$D/to-left" <"$D/to-right" >"$D/right.log" 2>&1 &
  RIGHT_PID=$!
  PIDS+=($RIGHT_PID)
}
hangup() {
  kill "$LEFT_PID" "$RIGHT_PID" 2>/dev/null
  wait "$LEFT_PID" "$RIGHT_PID" 2>/dev/null
  exec 7>&- 8>&-
}
# wait_line FILE REGEX [SECONDS]: until a line matches (a condition, not a sleep).
wait_line() {
  local file=$1 re=$2 limit=${3:-20}
  for _ in $(seq $((limit * 10))); do
    grep -Eq "$re" "$file" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
# wait_count FILE REGEX N [SECONDS]: until at least N lines match.
wait_count() {
  local file=$1 re=$2 n=$3 limit=${4:-20}
  for _ in $(seq $((limit * 10))); do
    [ "$(grep -Ec "$re" "$file" 2>/dev/null)" -ge "$n" ] && return 0
    sleep 0.1
  done
  return 1
}
selected() { grep -E '^selected ' "$1" | tail -1; }
# connected NAME LTYPE RTYPE: both sides connected on LTYPE/RTYPE (as seen from the left), and
# at least 5 data messages crossed each way after selection.
connected() {
  local what=$1 ltype=$2 rtype=$3
  wait_line "$D/left.log" '^state connected' 20 && wait_line "$D/right.log" '^state connected' 20
  check "$what: both peers connected" wait_line "$D/right.log" '^state connected' 1
  check "$what: left selected $ltype → $rtype ($(selected "$D/left.log"))" \
    grep -Eq "^selected $ltype $rtype " <(selected "$D/left.log")
  check "$what: right selected $rtype → $ltype ($(selected "$D/right.log"))" \
    grep -Eq "^selected $rtype $ltype " <(selected "$D/right.log")
  check "$what: data crosses left → right" wait_line "$D/right.log" '^recv data 5$' 10
  check "$what: data crosses right → left" wait_line "$D/left.log" '^recv data 5$' 10
  local ms
  ms=$(grep -m1 '^state connected' "$D/left.log" | awk '{print $3}')
  echo "     ($what: connected after ${ms:-?} ms)"
}

# (1) No NAT: the host pair wins.
nat none
call no-nat
connected "no NAT" host host
hangup

# (2) Both behind MASQUERADE: hole punching gives a server-reflexive pair.
nat masq
call masquerade
connected "MASQUERADE NATs" srflx srflx
hangup

# (3) Both behind --random-fully (symmetric): only the relay works, over TURN/UDP and TCP.
nat random
call symmetric-udp
connected "symmetric NATs, TURN/UDP" '(relay|srflx|prflx)' '(relay|prflx|srflx)'
check "symmetric NATs, TURN/UDP: a relay candidate is in the selected pair" \
  grep -Eq '^selected (relay [a-z]+|[a-z]+ relay) ' <(selected "$D/left.log")
relay_addr=$(selected "$D/left.log" | grep -oE '203\.0\.113\.10:[0-9]+' | head -1)
check "symmetric NATs, TURN/UDP: the selected relay ($relay_addr) is a UDP allocation" \
  grep -q "transport=udp relay=$relay_addr\$" "$WORK/turn-server.log"
hangup
nat random
call symmetric-tcp --turn-transport tcp
connected "symmetric NATs, TURN/TCP" '(relay|srflx|prflx)' '(relay|prflx|srflx)'
check "symmetric NATs, TURN/TCP: a relay candidate is in the selected pair" \
  grep -Eq '^selected (relay [a-z]+|[a-z]+ relay) ' <(selected "$D/left.log")
relay_addr=$(selected "$D/left.log" | grep -oE '203\.0\.113\.10:[0-9]+' | head -1)
check "symmetric NATs, TURN/TCP: the selected relay ($relay_addr) is a TCP allocation" \
  grep -q "transport=tcp relay=$relay_addr\$" "$WORK/turn-server.log"
hangup

# (4) Relay-only policy, even where host candidates would work.
nat none
call relay-policy --policy relay
connected "relay policy" relay relay
check "relay policy: no host or srflx candidate was signaled" \
  bash -c "! grep -Eq '^cand .* typ (host|srflx)' '$D/left.log' '$D/right.log'"
hangup

# (5) 5 % random loss each way on both NATs.
nat masq
lossy
call lossy
connected "5 % loss" '(srflx|prflx)' '(srflx|prflx)'
hangup

# (6) One peer vanishes: disconnected, then failed, within the configured timeouts.
nat masq
call vanish --disconnected-ms 2000 --failed-ms 6000 --consent-ms 500
connected "vanish" srflx srflx
gone_ms=$(date +%s%3N)
kill -STOP "$RIGHT_PID"
wait_line "$D/left.log" '^state failed' 15
t_disc=$(grep -m1 '^state disconnected' "$D/left.log" | awk '{print $3}')
t_fail=$(grep -m1 '^state failed' "$D/left.log" | awk '{print $3}')
t_conn=$(grep -m1 '^state connected' "$D/left.log" | awk '{print $3}')
check "vanish: left went disconnected ($t_disc ms) then failed ($t_fail ms)" \
  test -n "$t_disc" -a -n "$t_fail"
if [ -n "$t_disc" ] && [ -n "$t_fail" ]; then
  check "vanish: failed 3.5–6.5 s after disconnected (timeouts 2 s / 6 s from the last answer)" \
    test $((t_fail - t_disc)) -ge 3500 -a $((t_fail - t_disc)) -le 6500
fi
kill -CONT "$RIGHT_PID"
hangup

# (7) ICE restart after the left NAT changes its public address and forgets its mappings
# (conntrack -F): the path moves to the new address and the session carries on.
nat masq
ns natl ip addr add 203.0.113.3/24 dev n1
call restart --disconnected-ms 3000 --failed-ms 20000
connected "before restart" srflx srflx
ns natl iptables -t nat -F
ns natl iptables -t nat -A POSTROUTING -o n1 -j SNAT --to-source 203.0.113.3
ns natl conntrack -F >/dev/null 2>&1
echo restart >&7
check "restart: left selected a new pair from 203.0.113.3" \
  wait_line "$D/left.log" '^selected srflx srflx 203\.0\.113\.3:' 15
check "restart: 10 more messages cross after the new selection" \
  wait_count "$D/right.log" '^recv data' $(( $(grep -c '^recv data' "$D/right.log") + 10 )) 10
check "restart: neither side failed" \
  bash -c "! grep -q '^state failed' '$D/left.log' '$D/right.log'"
hangup
ns natl ip addr del 203.0.113.3/24 dev n1

check "the TURN server is still running" kill -0 "${PIDS[0]}"
finish
