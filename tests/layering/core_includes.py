#!/usr/bin/env python3
"""Fails when a sans-IO core includes what only drivers may use.

The cores (docs/architecture.md, "Sans-IO cores, thin drivers") have no socket, no thread, no
clock read and no logging; their drivers live in each module's service/ or driver/ folder and
are not checked. This catches the include that would start the leak, before CMake linking does.

usage: core_includes.py <src dir>
Prints every offending file:line and a closing "core includes: N passed, N failed" line, counting
files. Exit status 1 if any file failed, 2 on a usage error.
"""
import pathlib
import re
import sys

# Today's cores and the ones the architecture plans; folders that do not exist yet are skipped.
CORES = ["common", "stun", "turn", "ice", "signaling", "sdp", "dtls", "sctp", "join", "rtp", "srtp",
         "cluster", "sfu"]
DRIVER_FOLDERS = {"service", "driver"}
SOURCE_SUFFIXES = {".h", ".hpp", ".ipp", ".cpp", ".cc"}

# What a core must not include, and why (shown with each offence).
FORBIDDEN = [
    (re.compile(r"^boost/asio"), "Asio: IO belongs to net/ and the drivers"),
    (re.compile(r"^boost/beast"), "Beast: HTTP/WebSocket belongs to the drivers"),
    (re.compile(r"^spdlog/"), "spdlog: cores count and report events, drivers log"),
    (re.compile(r"^(thread|mutex|shared_mutex|condition_variable|future)$"),
     "threads: one loop per thread, no locks in a core"),
    (re.compile(r"^net/"), "net/: the IO floor, drivers only"),
    (re.compile(r"^log/"), "log/: logging, drivers only"),
]

INCLUDE = re.compile(r'^\s*#\s*include\s*[<"]([^>"]+)[>"]')


def core_files(src: pathlib.Path):
    for core in CORES:
        root = src / core
        if not root.is_dir():
            continue
        for path in sorted(root.rglob("*")):
            rel = path.relative_to(root)
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            if any(part in DRIVER_FOLDERS for part in rel.parts[:-1]):
                continue
            yield path


def offences(path: pathlib.Path):
    for number, line in enumerate(path.read_text(errors="replace").splitlines(), start=1):
        m = INCLUDE.match(line)
        if not m:
            continue
        for pattern, why in FORBIDDEN:
            if pattern.search(m.group(1)):
                yield number, m.group(1), why


def main(argv):
    if len(argv) != 2 or not pathlib.Path(argv[1]).is_dir():
        print("usage: core_includes.py <src dir>", file=sys.stderr)
        return 2
    src = pathlib.Path(argv[1])
    passed = failed = 0
    for path in core_files(src):
        found = list(offences(path))
        if not found:
            passed += 1
            continue
        failed += 1
        for number, header, why in found:
            print(f"{path.relative_to(src.parent)}:{number}: includes {header} ({why})")
    if passed + failed == 0:
        print(f"core includes: no core sources under {src}", file=sys.stderr)
        return 2
    print(f"core includes: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
