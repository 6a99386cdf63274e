#!/usr/bin/env bash
# ICE across real Linux NATs (../shared/testing/environment.md §6). Two ice_peer processes, one
# behind each NAT, signal through FIFOs; `peerkit turn` in "wan" is their STUN and TURN server.
#
# The topology and the helpers (nat, lossy, call, hangup, connected…) are in ice_topology.sh.
#
# Every scenario asserts the selected pair's candidate types (on both sides) and that
# application data crosses it. The namespaces are created here and deleted on exit; the peers
# gather only on their namespace's addresses (--hosts), so nothing reaches eth0.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
ICE_PEER=${ICE_PEER:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/ice_peer}
source "$(dirname "$0")/ice_topology.sh"

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

# (3) Both behind --random-fully (symmetric): only the relay works, over TURN/UDP, TCP and TLS.
# symmetric NAME TRANSPORT [ice_peer options]: a call behind symmetric NATs; the selected pair
# must hold a relay candidate allocated over TRANSPORT (as the TURN server's log names it).
symmetric() {
  local name=$1 transport=$2; shift 2
  nat random
  call "symmetric-$transport" --turn-transport "$transport" "$@"
  connected "$name" '(relay|srflx|prflx)' '(relay|prflx|srflx)'
  check "$name: a relay candidate is in the selected pair" \
    grep -Eq '^selected (relay [a-z]+|[a-z]+ relay) ' <(selected "$D/left.log")
  relay_addr=$(selected "$D/left.log" | grep -oE '203\.0\.113\.10:[0-9]+' | head -1)
  check "$name: the selected relay ($relay_addr) is a $transport allocation" \
    grep -q "transport=$transport relay=$relay_addr\$" "$WORK/turn-server.log"
  hangup
}
symmetric "symmetric NATs, TURN/UDP" udp
symmetric "symmetric NATs, TURN/TCP" tcp
symmetric "symmetric NATs, TURN/TLS" tls --turn 203.0.113.10:5349 --turn-ca "$WORK/turn-cert.pem"
nat masq
call tls-wrong-ca --policy relay --turn 203.0.113.10:5349 --turn-transport tls \
  --turn-ca /etc/ssl/certs/ca-certificates.crt
check "TURN/TLS with a certificate nobody vouches for: refused, with the reason" \
  wait_line "$D/left.log" '^server-failed TLS to 203\.0\.113\.10:5349: .*certificate verify failed' 10
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
# Connecting is what this scenario asserts; under loss nomination may settle for the relay
# when the direct pair has not answered within its patience (docs/ice.md, "Nomination").
connected "5 % loss" '(srflx|prflx|relay)' '(srflx|prflx|relay)'
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
