# The ICE NAT topology of ../shared/testing/environment.md §6, doubled, and helpers to run two
# ice_peer processes across it. Sourced by tests/netns/ice_nat.sh and bench/ice-bench.sh after
# lib.sh and in_fresh_netns; needs PEERKIT and ICE_PEER.
#
#   left 10.0.1.2 ── natl 10.0.1.1 | 203.0.113.1 ──┐
#                                                   br0 in wan: 203.0.113.10 (peerkit turn)
#   right 10.0.2.2 ── natr 10.0.2.1 | 203.0.113.2 ──┘
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

# A certificate naming the server by its address (IP SAN), for TURN over TLS on 5349; the
# peers trust it with --turn-ca.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=ice.test \
  -addext "subjectAltName=IP:203.0.113.10" -keyout "$WORK/turn-key.pem" -out "$WORK/turn-cert.pem" \
  2>/dev/null || { echo "openssl cannot make a certificate"; exit 1; }
# `ip netns exec` execs peerkit, so the PID that cleanup kills is the server itself.
start turn ip netns exec "$P-wan" "$PEERKIT" turn -n -L 203.0.113.10 --realm ice.test --user peer:peer-pw \
  --allowed-peer-ip 203.0.113.0/24 --allowed-peer-ip 10.0.0.0/8 --log-file "$WORK/turn-server.log" \
  --cert "$WORK/turn-cert.pem" --pkey "$WORK/turn-key.pem"
for _ in $(seq 100); do ns wan ss -lnt | grep -q '203.0.113.10:5349 ' && break; sleep 0.1; done

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
  # Data is plain UDP (no retransmission): count messages, since any one of them may be lost.
  check "$what: data crosses left → right" wait_count "$D/right.log" '^recv data ' 5 10
  check "$what: data crosses right → left" wait_count "$D/left.log" '^recv data ' 5 10
  local ms
  ms=$(grep -m1 '^state connected' "$D/left.log" | awk '{print $3}')
  echo "     ($what: connected after ${ms:-?} ms)"
}

