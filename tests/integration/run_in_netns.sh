#!/bin/bash
# Runs a test binary in a fresh network namespace with only loopback up (testing/environment.md
# §0): what it starts (redis-server) is reachable from nowhere else. Without root (no unshare -n)
# it runs as is: the binary then talks to 127.0.0.1 only, which §0 allows too.
# usage: run_in_netns.sh BINARY [ARGS...]
set -e
if [ "${PEERKIT_IN_NETNS:-}" != 1 ] && [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
  PEERKIT_IN_NETNS=1 exec unshare -n bash "$0" "$@"
fi
if [ "${PEERKIT_IN_NETNS:-}" = 1 ]; then
  ip link set lo up
  echo "run_in_netns: fresh network namespace, loopback only"
else
  echo "run_in_netns: no root for unshare -n; running on the host's loopback"
fi
exec "$@"
