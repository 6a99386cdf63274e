#!/usr/bin/env bash
# Interoperability: coturn's own clients (Debian package coturn 4.6.1) against `peerkit turn`,
# inside a fresh network namespace. Client-to-client (-y) and through turnutils_peer (-e), over
# UDP, TCP (-t) and TLS (-t -S), with a static user and with a REST secret (-W), all with 0 %
# loss; the STUN client gets its reflexive address; SIGUSR2 reloads the TLS certificate; wrong
# credentials are refused; RFC 5780 discovery and IPv6 work; metrics count the traffic; SIGTERM stops it
# cleanly.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
WORK=$(mktemp -d)

make_cert() {  # make_cert NAME: a self-signed certificate whose subject is CN=NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=$1" \
    -keyout "$WORK/key.pem.new" -out "$WORK/cert.pem.new" 2>/dev/null &&
    mv "$WORK/key.pem.new" "$WORK/key.pem" && mv "$WORK/cert.pem.new" "$WORK/cert.pem"
}
make_cert first-certificate || { echo "openssl cannot make a certificate"; exit 1; }

start peerkit "$PEERKIT" turn -n --listening-ip 127.0.0.1 --realm interop.test \
  --user alice:alice-secret --use-auth-secret --static-auth-secret rest-secret \
  --allow-loopback-peers --rfc5766-channel-numbers --relay-threads 2 \
  --cert "$WORK/cert.pem" --pkey "$WORK/key.pem" \
  --prometheus --prometheus-port 9641 --log-file "$WORK/server.log"
wait_for_port udp 3478 || exit 1
wait_for_port tcp 5349 || exit 1
wait_for_port tcp 9641 || exit 1
start peer turnutils_peer -L 127.0.0.1 -p 3480
wait_for_port udp 3480 || exit 1

N=200
uclient() {  # uclient NAME ARGS...: runs turnutils_uclient, keeps its output in NAME.out
  local name=$1; shift
  timeout 120 turnutils_uclient -m 4 -l 170 -n $N "$@" 127.0.0.1 >"$WORK/$name.out" 2>&1
}
clean_run() {  # the final totals show every message sent and received, and 0 % loss
  local out=$WORK/$1.out totals
  totals=$(grep -E 'start_mclient: tot_send_msgs=[0-9]+, tot_recv_msgs=[0-9]+$' "$out" | tail -1)
  local sent=${totals#*tot_send_msgs=}; sent=${sent%%,*}
  local recv=${totals##*tot_recv_msgs=}
  grep -q 'Total lost packets 0 (0.000000%)' "$out" && [ -n "$totals" ] && [ "$sent" -gt 0 ] &&
    [ "$sent" = "$recv" ] || {
    echo "    $(tail -3 "$out" | tr '\n' ' ')"
    # Dropped by peerkit for a client too slow to read (a limit), or lost elsewhere (a bug)?
    echo "    server: $(curl -s http://127.0.0.1:9641/metrics | grep -E '^peerkit_turn_stream_queue_drops_total' | tr '\n' ' ')"
    return 1
  }
}

uclient udp-static-y -u alice -w alice-secret -y
check "UDP, static user, client to client (-y): all messages, 0 % loss" clean_run udp-static-y
uclient tcp-static-y -t -u alice -w alice-secret -y
check "TCP (-t), static user, client to client: all messages, 0 % loss" clean_run tcp-static-y
uclient udp-rest-y -u carol -W rest-secret -y
check "UDP, REST secret (-W), client to client: all messages, 0 % loss" clean_run udp-rest-y
uclient tcp-rest-y -t -u carol -W rest-secret -y
check "TCP, REST secret, client to client: all messages, 0 % loss" clean_run tcp-rest-y
uclient udp-static-peer -u alice -w alice-secret -e 127.0.0.1
check "UDP, static user, through turnutils_peer (-e): all messages, 0 % loss" clean_run udp-static-peer
uclient tcp-rest-peer -t -u carol -W rest-secret -e 127.0.0.1
check "TCP, REST secret, through turnutils_peer: all messages, 0 % loss" clean_run tcp-rest-peer

uclient tls-static-y -t -S -p 5349 -u alice -w alice-secret -y
check "TLS (-t -S, port 5349), static user, client to client: all messages, 0 % loss" clean_run tls-static-y

subject() { echo | timeout 10 openssl s_client -connect 127.0.0.1:5349 2>/dev/null | grep -o 'subject=CN *= *[a-z-]*' | tr -d ' '; }
check "TLS serves the configured certificate" test "$(subject)" = "subject=CN=first-certificate"
make_cert second-certificate
kill -USR2 "${PIDS[0]}"
reloaded() { grep -q 'TLS certificate reloaded' "$WORK/server.log" && [ "$(subject)" = "subject=CN=second-certificate" ]; }
wait_reload() { for _ in $(seq 50); do reloaded && return 0; sleep 0.1; done; return 1; }
check "SIGUSR2 reloads the certificate for new connections" wait_reload

timeout 20 turnutils_uclient -m 1 -n 5 -u alice -w wrong-secret -y 127.0.0.1 >"$WORK/wrong.out" 2>&1
check "a wrong password cannot allocate" grep -q 'Cannot complete Allocation' "$WORK/wrong.out"
timeout 20 turnutils_uclient -m 1 -n 5 -u carol -W not-the-secret -y 127.0.0.1 >"$WORK/wrong-rest.out" 2>&1
check "a wrong REST secret cannot allocate" grep -q 'Cannot complete Allocation' "$WORK/wrong-rest.out"

timeout 10 turnutils_stunclient 127.0.0.1 >"$WORK/stun.out" 2>&1
check "turnutils_stunclient gets its reflexive address" grep -q 'UDP reflexive addr: 127.0.0.1:[0-9]' "$WORK/stun.out"

# RFC 5780 NAT behaviour discovery needs two listening addresses: a second instance on
# 127.0.0.1 and 127.0.0.2 (both loopback), ports 3490/3491, answered from the right sockets.
start peerkit5780 "$PEERKIT" turn -n -L 127.0.0.1 -L 127.0.0.2 -p 3490 --alt-listening-port 3491 \
  --rfc5780 --no-tcp --user alice:alice-secret --realm interop.test --log-file "$WORK/server5780.log"
wait_for_port udp 3490 || exit 1
timeout 30 turnutils_natdiscovery -m -f -p 3490 127.0.0.1 >"$WORK/natdiscovery.out" 2>&1
check "RFC 5780: OTHER-ADDRESS and RESPONSE-ORIGIN from the alternate address" \
  grep -q 'Response origin: : 127.0.0.2:3491' "$WORK/natdiscovery.out"
check "RFC 5780: turnutils_natdiscovery completes filtering discovery" \
  grep -q 'NAT with Endpoint Independent Filtering' "$WORK/natdiscovery.out"

# IPv6: a third instance listening (and relaying) on ::1.
start peerkit6 "$PEERKIT" turn -n -L ::1 -p 3492 --no-tcp --user alice:alice-secret \
  --realm interop.test --allow-loopback-peers --rfc5766-channel-numbers --log-file "$WORK/server6.log"
wait_for_port udp 3492 || exit 1
timeout 10 turnutils_stunclient -p 3492 ::1 >"$WORK/stun6.out" 2>&1
check "IPv6: turnutils_stunclient gets its reflexive address" grep -q 'IPv6. UDP reflexive addr: ::1:' "$WORK/stun6.out"
timeout 120 turnutils_uclient -m 2 -l 170 -n 100 -p 3492 -u alice -w alice-secret -y -x ::1 \
  >"$WORK/udp6.out" 2>&1
check "IPv6: client to client through IPv6 relays, all messages, 0 % loss" clean_run udp6

# Metrics are published at most every 100 ms under traffic, every second when idle: poll until a counter reaches a value (at most 10 s).
metric_at_least() {  # metric_at_least 'NAME{LABELS}' MIN
  for _ in $(seq 40); do
    curl -s http://127.0.0.1:9641/metrics >"$WORK/metrics.txt" &&
      awk -v name="$1" -v min="$2" '$1 == name && $2 >= min {found=1} END {exit !found}' "$WORK/metrics.txt" &&
      return 0
    sleep 0.25
  done
  return 1
}
check "Prometheus metrics count the relayed packets" \
  metric_at_least 'peerkit_turn_relayed_packets_total{direction="to_client"}' $((7 * 4 * N))
check "metrics count the failed authentications" metric_at_least peerkit_turn_auth_failures_total 2
check "server log has no errors" bash -c "! grep -E ' (error|critical) ' '$WORK/server.log'"

kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
check "peerkit stops cleanly on SIGTERM (exit 0)" test "$rc" = 0
PIDS=("${PIDS[@]:1}")
finish
