#!/bin/bash
# The installed package, as a user gets it: `cmake --install` into a temporary prefix, then the
# examples (examples/) configured and built against that prefix ONLY — find_package(peerkit)
# through CMAKE_PREFIX_PATH, no path into the source or build tree — and two_peers run.
# usage: install_test.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
work=$(mktemp -d /tmp/peerkit-install-test.XXXXXX)
trap 'rm -rf "$work"' EXIT
FAILURES=0
check() {  # check "description" CONDITION-COMMAND...
  local what=$1; shift
  if "$@"; then echo "ok   - $what"; else echo "FAIL - $what"; FAILURES=$((FAILURES + 1)); fi
}

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" >"$work/install.log" || { cat "$work/install.log"; exit 1; }
for f in include/peerkit/peer_connection.h lib/libpeerkit.a lib/cmake/peerkit/peerkitConfig.cmake \
         lib/cmake/peerkit/peerkitConfigVersion.cmake lib/cmake/peerkit/peerkitTargets.cmake bin/peerkit; do
  check "installed $f" test -f "$prefix/$f"
done
check "one library archive (no internal peerkit_* archives)" \
  test "$(find "$prefix" -name '*.a' | wc -l)" -eq 1
check "the package names no path of the source or build tree" \
  bash -c "! grep -rqF -e '$src' -e '$build' '$prefix/lib/cmake'"
# What a user's link line gets from us: OpenSSL, zlib, threads, libsrtp2; none of the servers' deps.
links=$(grep -A3 INTERFACE_LINK_LIBRARIES "$prefix/lib/cmake/peerkit/peerkitTargets.cmake" | tr -d '\n')
check "link interface is OpenSSL, ZLIB, Threads, libsrtp2 only ($(echo "$links" | grep -o '"[^"]*"' | head -1))" \
  bash -c "echo '$links' | grep -q OpenSSL::SSL && echo '$links' | grep -q SRTP2 && ! echo '$links' | grep -Eqi 'spdlog|prometheus|boost|CLI11|peerkit_'"

# An application's build: a copy of examples/ outside the tree. ccache's base dir is the work
# dir, so a new temporary directory still hits the cache.
cp -r "$src/examples" "$work/app"
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR=$work CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
generator=()
if command -v ninja >/dev/null; then generator=(-G Ninja); fi
if ! cmake -S "$work/app" -B "$work/app-build" "${generator[@]}" "${launcher[@]}" -DCMAKE_BUILD_TYPE=Release \
     -DCMAKE_PREFIX_PATH="$prefix" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON >"$work/configure.log" 2>&1; then
  cat "$work/configure.log"; exit 1
fi
check "find_package found the installed package" \
  grep -qx "peerkit_DIR:PATH=$prefix/lib/cmake/peerkit" "$work/app-build/CMakeCache.txt"
if ! cmake --build "$work/app-build" -j 2 >"$work/build.log" 2>&1; then cat "$work/build.log"; exit 1; fi
for e in echo_peer file_send file_recv two_peers; do check "built $e" test -x "$work/app-build/$e"; done

# Every include path of every compile, and every file on the link lines, is in the prefix, the
# app's own tree or the system; none points into peerkit's source or build tree.
includes=$(grep -oE -- '-(I|isystem) ?[^ "]+' "$work/app-build/compile_commands.json" | sed -E 's/^-(I|isystem) ?//' | sort -u)
echo "include paths: $(echo $includes)"
check "an include path is the installed include/" bash -c "echo '$includes' | grep -qx '$prefix/include'"
check "no include path into the source or build tree" bash -c "! echo '$includes' | grep -qF -e '$src' -e '$build'"
# Text files only (-I): the binaries carry the archive's debug information, whose file names are
# where libpeerkit.a was compiled — a fact about the archive, not a path the app's build uses.
check "the app's build (link lines included) names no file of the source or build tree" \
  bash -c "! grep -rqIF -e '$src' -e '$build' '$work/app-build'"

# Two peers in one process on 127.0.0.1 only (no other address is gathered).
if out=$(timeout 20 "$work/app-build/two_peers" 2>&1); then ok=1; else ok=0; fi
echo "$out"
check "two_peers built against the installed package exchanged messages" test "$ok" -eq 1

echo "install test: $FAILURES failed"
[ "$FAILURES" -eq 0 ]
