#!/usr/bin/env bash
# peerkit ↔ peerkit across processes, over a real link, with the examples (examples/) as a user
# runs them: two namespaces joined by a veth pair, each program gathering only its veth address
# (--host-filter), signalled through named pipes (one JSON description line each way).
#
#   pka 10.77.0.1/24 (va) ──veth── (vb) 10.77.0.2/24 pkb
#
# (1) no loss: echo_peer --ping against echo_peer, and a 4 MiB random file, SHA-256 equal;
# (2) 5 % random loss of the datagrams each way (iptables statistic; the kernel has no netem):
#     the same 4 MiB file arrives intact, and the DROP counters show the loss happened. The rule
#     sits on the receiving side's INPUT and the veth takes no GSO batches (gso_max_segs 1), so
#     the kernel splits a sender's GSO batch before the rule sees it: the loss is per datagram,
#     not per batch of up to 64 (an OUTPUT rule would see, and drop, whole batches).
# The namespaces are created here and deleted on exit; processes are killed by PID. A SIGKILL
# (ctest's timeout) runs no trap: the next run deletes namespaces whose creator is gone, and
# each pair's deadline keeps the whole run well inside ctest's timeout.
set -u
source "$(dirname "$0")/lib.sh"
in_fresh_netns "$@"
BIN=${EXAMPLES_BIN:-$(cd "$(dirname "$0")/../.." && pwd)/build/bin}
for e in echo_peer file_send file_recv; do
  [ -x "$BIN/$e" ] || { echo "missing $BIN/$e (build the examples)"; exit 1; }
done
WORK=$(mktemp -d)
P=pkpeer$$
NAMESPACES=()
# Leftovers of a run killed without its trap (pkpeer<pid>-a/-b whose pid is gone).
for stale in $(ip netns list 2>/dev/null | grep -oE '^pkpeer[0-9]+-[ab]'); do
  pid=${stale#pkpeer}; pid=${pid%-*}
  kill -0 "$pid" 2>/dev/null || ip netns del "$stale" 2>/dev/null
done
ns() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }
teardown() {
  cleanup
  for n in "${NAMESPACES[@]}"; do ip netns del "$n" 2>/dev/null; done
  rm -rf "$WORK"
}
trap teardown EXIT
trap "exit 130" INT  # so that teardown runs on Ctrl-C and on ctest's timeout too
trap "exit 143" TERM

for n in a b; do
  ip netns add "$P-$n" && NAMESPACES+=("$P-$n") || exit 1
  ns "$n" ip link set lo up
done
ip link add va netns "$P-a" type veth peer name vb netns "$P-b"
ns a ip addr add 10.77.0.1/24 dev va
ns b ip addr add 10.77.0.2/24 dev vb
ns a ip link set va up
ns b ip link set vb up

# pair NAME OFFERER-CMD... -- ANSWERER-CMD...: the offerer in pka, the answerer in pkb, wired by
# two FIFOs (offer: a → b, answer: b → a); waits for both (each has its own deadline) and
# leaves their exit statuses in A_RC / B_RC, their stderr in $WORK/NAME-{a,b}.log.
pair() {
  local name=$1; shift
  local a_cmd=() b_cmd=()
  while [ "$1" != -- ]; do a_cmd+=("$1"); shift; done
  shift
  b_cmd=("$@")
  rm -f "$WORK/offer" "$WORK/answer"
  mkfifo "$WORK/offer" "$WORK/answer"
  # Opening order matters for FIFOs: a opens offer (write) then answer (read); b offer (read)
  # then answer (write), so neither waits on the other's second open.
  ns a timeout 60 "${a_cmd[@]}" >"$WORK/offer" <"$WORK/answer" 2>"$WORK/$name-a.log" &
  local a_pid=$!
  PIDS+=("$a_pid")
  ns b timeout 60 "${b_cmd[@]}" <"$WORK/offer" > >(tee "$WORK/$name-answer.line" >"$WORK/answer") \
    2>"$WORK/$name-b.log" &
  local b_pid=$!
  PIDS+=("$b_pid")
  local t0; t0=$(date +%s%N)
  wait "$a_pid"; A_RC=$?
  wait "$b_pid"; B_RC=$?
  PAIR_MS=$((($(date +%s%N) - t0) / 1000000))
  sed 's/^/    a: /' "$WORK/$name-a.log"
  sed 's/^/    b: /' "$WORK/$name-b.log"
}
# The candidates b signalled (its answer line), one address per line.
answer_addresses() { grep -oE 'a=candidate:[^\\]*' "$WORK/$1-answer.line" | awk '{print $5}' | sort -u; }

MIB=${PEER_EXAMPLES_MIB:-4}  # the file size; larger by hand to see throughput under loss
head -c $((MIB * 1024 * 1024)) /dev/urandom >"$WORK/in.bin"
SHA=$(sha256sum <"$WORK/in.bin" | cut -d' ' -f1)

# (1) No loss.
pair echo "$BIN/echo_peer" --host-filter 10.77.0.1/32 --ping 200 -- "$BIN/echo_peer" --host-filter 10.77.0.2/32
check "no loss: 200 echoed messages came back identical (ping exit $A_RC, echo exit $B_RC)" \
  test "$A_RC" -eq 0 -a "$B_RC" -eq 0
check "no loss: the answerer signalled only its veth address ($(answer_addresses echo | tr '\n' ' '))" \
  test "$(answer_addresses echo)" = 10.77.0.2

pair file "$BIN/file_send" --host-filter 10.77.0.1/32 "$WORK/in.bin" -- \
  "$BIN/file_recv" --host-filter 10.77.0.2/32 "$WORK/out.bin"
check "no loss: $MIB MiB file in $PAIR_MS ms, both sides exit 0 (send $A_RC, recv $B_RC)" \
  test "$A_RC" -eq 0 -a "$B_RC" -eq 0
check "no loss: SHA-256 of what arrived equals the sent file's" \
  test "$(sha256sum <"$WORK/out.bin" | cut -d' ' -f1)" = "$SHA"
rm -f "$WORK/out.bin"

# (2) 5 % random loss each way.
ns a ip link set va gso_max_segs 1
ns b ip link set vb gso_max_segs 1
ns b iptables -A INPUT -i vb -m statistic --mode random --probability 0.05 -j DROP  # a → b
ns a iptables -A INPUT -i va -m statistic --mode random --probability 0.05 -j DROP  # b → a
pair lossy "$BIN/file_send" --host-filter 10.77.0.1/32 "$WORK/in.bin" -- \
  "$BIN/file_recv" --host-filter 10.77.0.2/32 "$WORK/out.bin"
dropped() { ns "$1" iptables -L INPUT -v -x -n | awk '/statistic/ {print $1}'; }
dropped_bytes() { ns "$1" iptables -L INPUT -v -x -n | awk '/statistic/ {print $2}'; }
a_to_b=$(dropped b) b_to_a=$(dropped a)
echo "    dropped: a→b $a_to_b datagrams ($(dropped_bytes b) bytes), b→a $b_to_a ($(dropped_bytes a) bytes)"
check "5 % loss: $MIB MiB file in $PAIR_MS ms, both sides exit 0 (send $A_RC, recv $B_RC)" \
  test "$A_RC" -eq 0 -a "$B_RC" -eq 0
check "5 % loss: SHA-256 of what arrived equals the sent file's" \
  test "$(sha256sum <"$WORK/out.bin" 2>/dev/null | cut -d' ' -f1)" = "$SHA"
check "5 % loss: datagrams were dropped both ways (a→b $a_to_b, b→a $b_to_a)" \
  test "$a_to_b" -gt 0 -a "$b_to_a" -gt 0
# One datagram at a time, not GSO batches: the data direction's drops average at most a
# datagram's size (1 200 bytes on the wire, plus headers).
check "5 % loss: the drops are single datagrams ($(( $(dropped_bytes b) / (a_to_b > 0 ? a_to_b : 1) )) bytes each on average)" \
  test $(( $(dropped_bytes b) / (a_to_b > 0 ? a_to_b : 1) )) -le 1300
finish
