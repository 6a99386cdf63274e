#!/usr/bin/env bash
# Interop with other WebRTC stacks from npm (issue 10): node-datachannel 0.33.4 (libdatachannel)
# and @roamhq/wrtc 0.10.0 (libwebrtc) each against a peerkit peer (peer_stdio.cpp), both
# offering. Everything runs in a fresh network namespace with only lo up, so no stack can
# gather or check anything but loopback (../../../shared/testing/environment.md §0).
# Usage: run.sh [STACK WHO-OFFERS ...]   (default: all four scenarios)
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
PEER_STDIO="${PEER_STDIO:-$here/../../build/bin/interop_peer_stdio}"

if [ "${PEERKIT_IN_NETNS:-}" != 1 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "SKIP: needs root for unshare -n"; exit 77; }
  [ -x "$PEER_STDIO" ] || { echo "$PEER_STDIO missing: build first"; exit 1; }
  for p in node-datachannel @roamhq/wrtc; do
    [ -d "$here/node_modules/$p" ] || { echo "npm package $p missing: run scripts/setup"; exit 1; }
  done
  exec env PEERKIT_IN_NETNS=1 PEER_STDIO="$PEER_STDIO" unshare -n bash "$0" "$@"
fi
ip link set lo up

scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=("node-datachannel peerkit" "node-datachannel other" "wrtc peerkit" "wrtc other")
failed=0
for s in "${scenarios[@]}"; do
  echo "== $s offers"
  read -r -a words <<< "$s"
  (cd "$here" && timeout 60 node interop.js "${words[@]}") || { failed=$((failed + 1)); echo "FAILED: $s"; }
done
echo "interop: $(( ${#scenarios[@]} - failed )) passed, $failed failed"
[ "$failed" -eq 0 ]
