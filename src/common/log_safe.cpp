#include "common/log_safe.h"

#include <cstdint>

namespace peerkit {
namespace {

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 §4), or 0 when it is not one.
std::size_t utf8_sequence(std::string_view s, std::size_t i) {
  const auto b0 = static_cast<std::uint8_t>(s[i]);
  std::size_t n;
  std::uint8_t lo = 0x80, hi = 0xbf;  // allowed range of the second byte
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    if (b0 == 0xe0) lo = 0xa0;  // overlong
    if (b0 == 0xed) hi = 0x9f;  // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    if (b0 == 0xf0) lo = 0x90;  // overlong
    if (b0 == 0xf4) hi = 0x8f;  // past U+10FFFF
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  const auto b1 = static_cast<std::uint8_t>(s[i + 1]);
  if (b1 < lo || b1 > hi) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    const auto b = static_cast<std::uint8_t>(s[i + k]);
    if (b < 0x80 || b > 0xbf) return 0;
  }
  return n;
}

void append_hex(std::string& out, std::uint8_t b) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += "\\x";
  out += kHex[b >> 4];
  out += kHex[b & 0xf];
}

}  // namespace

std::string log_safe(std::string_view text, std::size_t max_bytes) {
  const bool cut = text.size() > max_bytes;
  const std::string_view kept = cut ? text.substr(0, max_bytes) : text;
  std::string out;
  out.reserve(kept.size() + 8);
  for (std::size_t i = 0; i < kept.size();) {
    const auto b = static_cast<std::uint8_t>(kept[i]);
    if (b < 0x20 || b == 0x7f) {
      append_hex(out, b);
      ++i;
    } else if (b == '\\' || b == '"') {
      out += '\\';
      out += static_cast<char>(b);
      ++i;
    } else if (b < 0x80) {
      out += static_cast<char>(b);
      ++i;
    } else if (const auto n = utf8_sequence(kept, i); n != 0) {
      // C1 controls U+0080..U+009F are encoded as C2 80..C2 9F.
      const bool c1 = n == 2 && b == 0xc2 && static_cast<std::uint8_t>(kept[i + 1]) <= 0x9f;
      if (c1) {
        append_hex(out, b);
        append_hex(out, static_cast<std::uint8_t>(kept[i + 1]));
      } else {
        out.append(kept.substr(i, n));
      }
      i += n;
    } else {
      append_hex(out, b);
      ++i;
    }
  }
  if (cut) out += "...(" + std::to_string(text.size()) + " bytes)";
  return out;
}

}  // namespace peerkit
