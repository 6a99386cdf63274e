// Test helper: bytes from a hex string with spaces ("80 60 12 34"), as written from RFC figures.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>
#include <vector>

namespace peerkit::rtp::test {

inline std::vector<std::byte> hex(std::string_view s) {
  std::vector<std::byte> out;
  int nibble = -1;
  for (char c : s) {
    int v;
    if (c >= '0' && c <= '9')
      v = c - '0';
    else if (c >= 'a' && c <= 'f')
      v = c - 'a' + 10;
    else if (c >= 'A' && c <= 'F')
      v = c - 'A' + 10;
    else
      continue;
    if (nibble < 0) {
      nibble = v;
    } else {
      out.push_back(std::byte(nibble << 4 | v));
      nibble = -1;
    }
  }
  return out;
}

inline std::vector<std::byte> bytes_of(std::span<const std::byte> s) {
  return {s.begin(), s.end()};
}

}  // namespace peerkit::rtp::test
