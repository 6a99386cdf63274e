#!/usr/bin/env bash
# What `make run` starts: `peerkit run` with embedded defaults prints a credential once, and the
# command its banner suggests works with it. In a fresh network namespace.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
WORK=$(mktemp -d)

start run "$PEERKIT" run
banner() { grep -q 'Stop with Ctrl-C' "$WORK/run.log"; }
wait_banner() { for _ in $(seq 100); do banner && return 0; sleep 0.1; done; return 1; }
check "peerkit run prints its banner" wait_banner
PASSWORD=$(sed -n 's/^  password: \([^ ]*\).*/\1/p' "$WORK/run.log")
check "the banner shows a generated password" test -n "$PASSWORD"
check "the password is not written to the log lines" bash -c "! grep -v '^  ' '$WORK/run.log' | grep -qF '$PASSWORD'"
timeout 60 turnutils_uclient -u peerkit -w "$PASSWORD" -y -m 2 -n 50 127.0.0.1 >"$WORK/uclient.out" 2>&1
check "the suggested turnutils_uclient command relays with 0 % loss" \
  grep -q 'Total lost packets 0 (0.000000%)' "$WORK/uclient.out"
timeout 10 turnutils_stunclient 127.0.0.1 >"$WORK/stun.out" 2>&1
check "the suggested turnutils_stunclient command works" grep -q 'UDP reflexive addr' "$WORK/stun.out"
kill -INT "${PIDS[0]}"; wait "${PIDS[0]}"; rc=$?
check "Ctrl-C stops it with exit 0" test "$rc" = 0
PIDS=()
finish
