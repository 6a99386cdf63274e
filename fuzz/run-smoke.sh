#!/usr/bin/env bash
# Runs every fuzzer for FUZZ_SECONDS (default 20 s each; `make fuzz-long FUZZ_SECONDS=600` for more).
# A crash or sanitizer report fails the run and leaves the reproducer in build/fuzz/artifacts/.
set -u
cd "$(dirname "$0")/.."
SECONDS_EACH=${FUZZ_SECONDS:-20}
BIN=build/fuzz/bin
ART=build/fuzz/artifacts
mkdir -p "$ART"
passed=0; failed=0
for f in fuzz_stun_message fuzz_channeldata_framing fuzz_turn_server fuzz_signaling fuzz_ice_candidate fuzz_ice_agent fuzz_ice_lite fuzz_sdp fuzz_dtls fuzz_sctp fuzz_dcep fuzz_join fuzz_rtp fuzz_sfu fuzz_media_session fuzz_conference fuzz_cluster; do
  corpus=build/fuzz/corpus/$f
  mkdir -p "$corpus"
  # Inputs that once failed are replayed first (fuzz/regressions/<target without fuzz_>-*).
  for r in fuzz/regressions/${f#fuzz_}-*; do
    [ -e "$r" ] || continue
    if ! "$BIN/$f" "$r" >"build/fuzz/$f.regression.log" 2>&1; then
      echo "fuzz $f: regression $r fails again"; failed=$((failed + 1)); continue 2
    fi
  done
  seeds=()  # real inputs to start from, read only (libFuzzer writes new finds to the first dir)
  [ "$f" = fuzz_sdp ] && seeds=(tests/data/sdp)
  dict=fuzz/${f#fuzz_}.dict
  [ "$f" = fuzz_conference ] && dict=fuzz/sdp.dict
  [ "$f" = fuzz_media_session ] && dict=fuzz/rtp.dict
  [ -e "$dict" ] || dict=fuzz/stun.dict
  if "$BIN/$f" -max_total_time="$SECONDS_EACH" -dict="$dict" -print_final_stats=1 \
       -artifact_prefix="$ART/$f-" "$corpus" "${seeds[@]}" >"build/fuzz/$f.log" 2>&1; then
    runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "build/fuzz/$f.log" | grep -oE '[0-9]+$')
    echo "fuzz $f: ok, ${runs:-?} inputs in ${SECONDS_EACH}s, no findings"
    passed=$((passed + 1))
  else
    echo "fuzz $f: FAILED (see build/fuzz/$f.log)"; tail -30 "build/fuzz/$f.log"
    failed=$((failed + 1))
  fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
