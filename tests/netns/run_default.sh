#!/usr/bin/env bash
# What `make run` starts: `peerkit run` = `peerkit serve` with embedded defaults. It prints the
# URL, serves the web app and PeerServer's API, hands out TURN credentials that work with
# coturn's own client, keeps the TURN secret out of its output, and stops on Ctrl-C.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
WORK=$(mktemp -d)

start run "$PEERKIT" run
banner() { grep -q 'Stop with Ctrl-C' "$WORK/run.log"; }
wait_banner() { for _ in $(seq 100); do banner && return 0; sleep 0.1; done; return 1; }
check "peerkit run prints its banner" wait_banner
check "the banner shows the URL to open" grep -q 'open: *http://127.0.0.1:9000/' "$WORK/run.log"
check "the banner shows how to point PeerJS at it" grep -qF "new Peer({ host: '127.0.0.1', port: 9000, path: '/'" "$WORK/run.log"
curl -s -H 'Accept: text/html' http://127.0.0.1:9000/ > "$WORK/index.html"
check "GET / serves the web app" grep -q '<title>peerkit' "$WORK/index.html"
check "GET /app.js serves the app's module" bash -c "curl -sf http://127.0.0.1:9000/app.js | grep -q RoomsClient"
check "GET /peerjs/id answers like PeerServer" bash -c "curl -sf http://127.0.0.1:9000/peerjs/id | grep -qE '^[0-9a-f-]{36}$'"
check "GET /healthz" bash -c "curl -sf http://127.0.0.1:9000/healthz | grep -q ok"

curl -sf 'http://127.0.0.1:9000/api/ice-servers?id=runtest' > "$WORK/ice.json"
USERNAME=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["iceServers"][1]["username"])' "$WORK/ice.json")
CREDENTIAL=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["iceServers"][1]["credential"])' "$WORK/ice.json")
check "/api/ice-servers hands out an expiry:member username" bash -c "echo '$USERNAME' | grep -qE '^[0-9]+:runtest$'"
timeout 60 turnutils_uclient -u "$USERNAME" -w "$CREDENTIAL" -y -m 2 -n 50 127.0.0.1 > "$WORK/uclient.out" 2>&1
check "those credentials relay through the embedded TURN server with 0 % loss" \
  grep -q 'Total lost packets 0 (0.000000%)' "$WORK/uclient.out"
timeout 10 turnutils_stunclient 127.0.0.1 > "$WORK/stun.out" 2>&1
check "STUN answers on 3478" grep -q 'UDP reflexive addr' "$WORK/stun.out"
check "credentials never appear in the output" bash -c "! grep -qF '$CREDENTIAL' '$WORK/run.log'"
check "/metrics reports signaling and TURN figures" bash -c \
  "curl -sf http://127.0.0.1:9000/metrics | grep -q '^peerkit_signaling_connections' && curl -sf http://127.0.0.1:9000/metrics | grep -q '^peerkit_turn_allocations_created_total [1-9]'"
kill -INT "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
check "Ctrl-C stops it with exit 0" test "$rc" = 0
PIDS=()
refused() { "$PEERKIT" run --port 1 > "$WORK/refuse.out" 2>&1; [ $? = 2 ] && grep -q 'peerkit serve --help' "$WORK/refuse.out"; }
check "peerkit run refuses options and says where they go" refused
finish
