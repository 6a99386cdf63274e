// Small text helpers the SDP files share: a strict decimal number and space-separated words.
#pragma once

#include <charconv>
#include <optional>
#include <string_view>
#include <vector>

namespace peerkit::sdp::text {

template <class T>
std::optional<T> to_number(std::string_view s) {
  T v{};
  const auto* end = s.data() + s.size();
  const auto r = std::from_chars(s.data(), end, v);
  if (s.empty() || r.ec != std::errc() || r.ptr != end) return std::nullopt;
  return v;
}

inline std::vector<std::string_view> words(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && s[i] == ' ') ++i;
    const auto start = i;
    while (i < s.size() && s[i] != ' ') ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

}  // namespace peerkit::sdp::text
