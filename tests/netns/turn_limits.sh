#!/usr/bin/env bash
# Resource limits under abuse, in a fresh network namespace: with a small open-file limit and a
# flood of idle TCP connections, peerkit keeps answering, does not spin, and serves new clients
# once the flood is gone.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
PEERKIT=${PEERKIT:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin/peerkit}
WORK=$(mktemp -d)

start peerkit bash -c "ulimit -n 64 && exec '$PEERKIT' turn -n -L 127.0.0.1 --user alice:pw \
  --realm limits.test --allow-loopback-peers --rfc5766-channel-numbers --relay-threads 1 \
  --max-tcp-connections 1000 --log-file '$WORK/server.log'"
wait_for_port tcp 3478 || exit 1
SERVER=${PIDS[0]}
check "an explicit max-tcp-connections above the file budget is lowered, with a warning" \
  grep -q 'max-tcp-connections lowered from 1000' "$WORK/server.log"

# 100 idle TCP connections, held open while we look.
python3 - "$WORK/flood.ready" <<'PY' &
import socket, sys, time
held = []
for _ in range(100):
    s = socket.socket()
    s.settimeout(2)
    try:
        s.connect(("127.0.0.1", 3478)); held.append(s)
    except OSError:
        pass
open(sys.argv[1], "w").write(str(len(held)))
time.sleep(4)
PY
FLOOD=$!
for _ in $(seq 50); do [ -s "$WORK/flood.ready" ] && break; sleep 0.1; done

cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER/stat"; }
before=$(cpu_ticks)
timeout 10 turnutils_stunclient 127.0.0.1 >"$WORK/stun.out" 2>&1
check "STUN is still answered during the flood" grep -q 'UDP reflexive addr' "$WORK/stun.out"
sleep 1  # a fixed window to measure CPU use over, not a wait for a condition
after=$(cpu_ticks)
check "the server does not spin during the flood (< 50 % of a core)" test $((after - before)) -lt $(( $(getconf CLK_TCK) / 2 ))
wait $FLOOD
timeout 30 turnutils_uclient -t -u alice -w pw -y -m 1 -n 20 127.0.0.1 >"$WORK/after.out" 2>&1
check "after the flood a TCP client allocates and relays with 0 % loss" \
  grep -q 'Total lost packets 0 (0.000000%)' "$WORK/after.out"
check "the server is still running" kill -0 "$SERVER"
finish
