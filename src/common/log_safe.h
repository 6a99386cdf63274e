// Client-supplied text (usernames, peer ids, room and member names, Origins, paths) on its way
// into a log line. Logged verbatim, a USERNAME holding "\n2026-01-01 [info] allocation created"
// forges a line and an ESC sequence rewrites the operator's terminal, so every such string goes
// through log_safe(): control characters (C0, DEL, C1) and bytes that are not UTF-8 become
// \xHH, backslash and double quote are escaped, and the result is capped in length.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace peerkit {

inline constexpr std::size_t kLogFieldMaxBytes = 128;

// The escaped text, cut at `max_bytes` of input and marked with "...(N bytes)" when cut.
std::string log_safe(std::string_view text, std::size_t max_bytes = kLogFieldMaxBytes);

}  // namespace peerkit
