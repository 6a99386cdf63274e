#!/usr/bin/env bash
# Browser acceptance tests for `peerkit serve`: Debian's Chromium (playwright-core) with a fake
# camera, the server and every browser inside a fresh network namespace with loopback only, so
# ICE can only ever gather and check 127.0.0.1 (../../../shared/testing/environment.md §0).
# Usage: run.sh [test.js ...]   (default: every acceptance scenario)
# The cluster-*.js scenarios start their own redis-server and `serve --cluster` nodes (cluster-lib.js).
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PEERKIT="${PEERKIT:-$here/../../build/bin/peerkit}"
export DC_PEER="${DC_PEER:-$(dirname "$PEERKIT")/dc_peer}"

if [ "${PEERKIT_IN_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }
  command -v chromium > /dev/null || { echo "chromium missing: run scripts/setup"; exit 1; }
  [ -d "$here/node_modules/playwright-core" ] || { echo "npm packages missing: run scripts/setup"; exit 1; }
  exec env PEERKIT_IN_NETNS=1 PEERKIT="$PEERKIT" unshare -n bash "$0" "$@"
fi
ip link set lo up

work="$(mktemp -d)"
"$PEERKIT" serve --port 9000 --turn-port 3478 --log-file "$work/serve.log" --log-level "${LOG_LEVEL:-info}" > "$work/serve.out" 2>&1 &
server=$!
cleanup() { kill "$server" 2> /dev/null; wait "$server" 2> /dev/null; rm -rf "$work"; }
trap cleanup EXIT
for _ in $(seq 100); do
  curl -sf -o /dev/null http://127.0.0.1:9000/healthz && break
  kill -0 "$server" 2> /dev/null || { echo "peerkit serve exited:"; cat "$work/serve.out"; exit 1; }
  sleep 0.1
done

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=("room-two.js" "room-two.js --relay" "room-three.js" "peerjs-client.js" "PEERJS_PACKAGE=peerjs-1.4 peerjs-client.js" "app-states.js" "join.js" "datachannels.js" "native-media.js" "sfu-answer.js" "sfu-media.js" "sfu-room.js" "sfu-app.js" "sfu-cap.js" "screen-share.js" "cluster-peerjs.js" "cluster-rooms.js")
failed=0
for t in "${tests[@]}"; do
  echo "== $t"
  read -r -a words <<< "$t"
  vars=()
  while [ ${#words[@]} -gt 0 ] && [[ "${words[0]}" == *=* ]]; do vars+=("${words[0]}"); words=("${words[@]:1}"); done
  (cd "$here" && env "${vars[@]}" timeout 300 node "${words[@]}") || { failed=$((failed + 1)); echo "FAILED: $t"; tail -20 "$work/serve.log"; }
done
kill -0 "$server" 2> /dev/null || { echo "peerkit serve died during the tests"; failed=$((failed + 1)); }
echo "browser: $(( ${#tests[@]} - failed )) passed, $failed failed"
[ "$failed" -eq 0 ]
