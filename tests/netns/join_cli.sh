#!/usr/bin/env bash
# `peerkit join`'s errors end to end, against a real `peerkit serve` in a fresh namespace: usage
# errors (exit 2), an unreachable server, a path that is not the rooms WebSocket, a full room,
# a wss:// certificate refused (and accepted with --ca), a clean exit 0 on SIGTERM/SIGINT.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
WORK=$(mktemp -d)

expect() {  # expect RC "text in the message" ARGS...
  local want_rc=$1 want=$2; shift 2
  timeout 20 "$PEERKIT" join "$@" < /dev/null > "$WORK/err.out" 2>&1
  local rc=$?
  [ "$rc" = "$want_rc" ] && grep -qF -- "$want" "$WORK/err.out" || { echo "  rc=$rc: $(cat "$WORK/err.out")"; return 1; }
}
wait_log() {  # wait_log FILE TEXT: until FILE has TEXT, at most 10 s
  for _ in $(seq 100); do grep -qF -- "$2" "$1" 2> /dev/null && return 0; sleep 0.1; done
  echo "  no '$2' in $1: $(cat "$1")"; return 1
}
stop_rc() {  # stop_rc PID SIGNAL: the exit status after the signal
  kill -"$2" "$1"; wait "$1"
}

check "--room is required" expect 2 "--room is required" --server ws://127.0.0.1:9000/ws
check "a URL of another scheme is refused" expect 2 "the scheme must be ws://" --server ftp://127.0.0.1/ --room r
check "a name with control characters is refused" expect 2 "--name must not contain control characters" --server ws://127.0.0.1:9000 --room r --name $'a\tb'
check "--recv must be a directory" expect 2 "--recv '$WORK/none' is not a directory" --server ws://127.0.0.1:9000 --room r --recv "$WORK/none"
check "--send must be a file" expect 2 "--send '$WORK' is not a readable file" --server ws://127.0.0.1:9000 --room r --send "$WORK"
check "--help says what it does" bash -c "'$PEERKIT' join --help | grep -q -- '--allow-loopback'"
check "peerkit --help lists join" bash -c "'$PEERKIT' --help | grep -q '^  join '"
check "an unreachable server is a clear error, exit 1" expect 1 "cannot connect to 127.0.0.1:9000: Connection refused" --server ws://127.0.0.1:9000/ws --room r

start serve "$PEERKIT" serve --port 9000 --no-turn --room-capacity 2
wait_for_port tcp 9000
check "a path that is not the rooms WebSocket is named" expect 1 "did not accept a WebSocket at /nope" --server ws://127.0.0.1:9000/nope --room r
"$PEERKIT" join --server http://127.0.0.1:9000/ --room full --name First < /dev/null > "$WORK/first.log" 2>&1 &
first=$!
check "the first member joins (the app's http:// address works)" wait_log "$WORK/first.log" "joined room full as First (0 others here)"
"$PEERKIT" join --server ws://127.0.0.1:9000/ws --room full --name Second < /dev/null > "$WORK/second.log" 2>&1 &
second=$!
check "a second member joins" wait_log "$WORK/second.log" "joined room full as Second (1 other here)"
check "a full room is a clear error, exit 1" expect 1 "room 'full' is full: room full is full (2 members)" --server ws://127.0.0.1:9000/ws --room full --name Third
stop_rc "$second" TERM; rc=$?
check "SIGTERM leaves the room with exit 0" test "$rc" = 0
check "the other member sees the leave" wait_log "$WORK/first.log" "* Second left"
stop_rc "$first" TERM; rc=$?
check "the last member exits 0 too" test "$rc" = 0
check "after they left, the room has space again" bash -c "
  '$PEERKIT' join --server ws://127.0.0.1:9000 --room full --name Fourth < /dev/null > '$WORK/third.log' 2>&1 & p=\$!
  for _ in \$(seq 100); do grep -q 'joined room full as Fourth' '$WORK/third.log' && break; sleep 0.1; done
  grep -q 'joined room full as Fourth' '$WORK/third.log' || { kill \$p; exit 1; }
  kill -INT \$p; wait \$p"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=peerkit-test \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" > /dev/null 2>&1
start tls "$PEERKIT" serve --port 9443 --no-turn --sfu-port 0 --cert "$WORK/cert.pem" --cert-key "$WORK/key.pem"
wait_for_port tcp 9443
check "a certificate nobody vouches for is refused, exit 1, and --ca is suggested" \
  expect 1 "the server's TLS certificate was refused: self-signed certificate" --server wss://127.0.0.1:9443/ws --room r
check "the refusal suggests --ca" grep -qF -- "--ca FILE" "$WORK/err.out"
"$PEERKIT" join --server wss://127.0.0.1:9443/ws --room r --name Trusting --ca "$WORK/cert.pem" < /dev/null > "$WORK/ca.log" 2>&1 &
trusting=$!
check "with --ca the same server is joined" wait_log "$WORK/ca.log" "joined room r as Trusting"
stop_rc "$trusting" INT; rc=$?
check "SIGINT exits 0" test "$rc" = 0
check "a certificate for another address is refused even with --ca" \
  expect 1 "certificate was refused" --server wss://localhost:9443/ws --room r --ca "$WORK/cert.pem"
finish
