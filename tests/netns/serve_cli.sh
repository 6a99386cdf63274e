#!/usr/bin/env bash
# `peerkit serve` options end to end: clear errors for bad input, TLS (https and wss) with a
# certificate reload on SIGUSR2, PeerServer's --path/--key, --no-turn. In a fresh namespace.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
WORK=$(mktemp -d)

expect_error() {  # expect_error "text in the message" ARGS...
  local want=$1; shift
  "$PEERKIT" serve "$@" > "$WORK/err.out" 2>&1
  local rc=$?
  [ "$rc" = 2 ] && grep -qF -- "$want" "$WORK/err.out"
}
check "--host must be an address" expect_error "--host must be an IP address" --host nowhere
check "TLS needs both files" expect_error "TLS needs both --cert and --cert-key" --cert x.pem
check "unknown ICE URL schemes are refused" expect_error "--ice-url must start with" --ice-url http://x
check "external TURN URLs need a secret" expect_error "needs --ice-secret" --no-turn --ice-url turn:x:3478
check "a wildcard host needs a relay address for TURN" expect_error "--turn-ip" --host 0.0.0.0
check "a wildcard SFU address needs an announced one" expect_error "--sfu-announce" --sfu-ip 0.0.0.0 --no-turn
check "an SFU room capacity must exceed the threshold" expect_error "--sfu-room-capacity (4) must be larger" --sfu-room-capacity 4 --no-turn
check "unknown options are refused" expect_error "--frobnicate" --frobnicate
check "--help lists PeerServer's options" bash -c "'$PEERKIT' serve --help | grep -q -- '--alive_timeout'"

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=one \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" > /dev/null 2>&1
start tls "$PEERKIT" serve --port 9443 --path /myapp --key sekrit --no-turn \
  --cert "$WORK/cert.pem" --cert-key "$WORK/key.pem"
wait_for_port tcp 9443
check "https serves PeerServer's API under --path" bash -c \
  "curl -skf https://127.0.0.1:9443/myapp/sekrit/id | grep -qE '^[0-9a-f-]{36}$'"
check "plain http is not served on a TLS port" bash -c "! curl -sf http://127.0.0.1:9443/healthz"
python3 - "$WORK" > "$WORK/wss.out" 2>&1 <<'PY'
import base64, os, socket, ssl, sys
ctx = ssl.create_default_context(); ctx.check_hostname = False; ctx.verify_mode = ssl.CERT_NONE
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", 9443), timeout=5))
key = base64.b64encode(os.urandom(16)).decode()
s.sendall(("GET /myapp/peerjs?key=sekrit&id=tls-peer&token=t HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
           f"Sec-WebSocket-Key: {key}\r\n\r\n").encode())
data = b""
while b'{"type":"OPEN"}' not in data:
    chunk = s.recv(4096)
    if not chunk: break
    data += chunk
print("OPEN over wss" if b'{"type":"OPEN"}' in data else data)
PY
check "wss carries the PeerJS socket (OPEN)" grep -q "OPEN over wss" "$WORK/wss.out"
fingerprint() { echo | openssl s_client -connect 127.0.0.1:9443 2>/dev/null | openssl x509 -noout -fingerprint -sha256; }
before=$(fingerprint)
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=two \
  -keyout "$WORK/key.pem" -out "$WORK/cert.pem" > /dev/null 2>&1
kill -USR2 "${PIDS[0]}"
reloaded() { for _ in $(seq 50); do [ "$(fingerprint)" != "$before" ] && return 0; sleep 0.1; done; return 1; }
check "SIGUSR2 loads the new certificate for new connections" reloaded
kill -TERM "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
check "SIGTERM stops it with exit 0" test "$rc" = 0
PIDS=()
finish
