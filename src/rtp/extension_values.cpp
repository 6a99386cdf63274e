// Value codecs for the header extensions listed in extension_values.h.
#include "rtp/extension_values.h"

namespace peerkit::rtp {

Expected<std::string_view, Error> parse_sdes_text(ByteSpan data) {
  if (data.empty() || data.size() > 255) return Unexpected(Error::kBadValue);
  // Senders may pad a short value with NULs inside the element (seen from some stacks).
  std::size_t n = data.size();
  while (n > 0 && data[n - 1] == std::byte{0}) --n;
  if (n == 0) return Unexpected(Error::kBadValue);
  for (std::size_t i = 0; i < n; ++i) {
    const auto c = std::to_integer<std::uint8_t>(data[i]);
    if (c < 0x21 || c > 0x7e) return Unexpected(Error::kBadValue);
  }
  return as_string_view(data.first(n));
}

Expected<std::uint32_t, Error> parse_abs_send_time(ByteSpan data) {
  if (data.size() != 3) return Unexpected(Error::kBadValue);
  ByteReader r(data);
  const std::uint32_t hi = r.u8();
  return (hi << 16) | r.u16();
}

std::array<std::byte, 3> abs_send_time_bytes(std::uint32_t v) {
  return {std::byte((v >> 16) & 0xff), std::byte((v >> 8) & 0xff), std::byte(v & 0xff)};
}

Expected<std::uint16_t, Error> parse_transport_cc(ByteSpan data) {
  if (data.size() != 2) return Unexpected(Error::kBadValue);
  return ByteReader(data).u16();
}

std::array<std::byte, 2> transport_cc_bytes(std::uint16_t seq) {
  return {std::byte(seq >> 8), std::byte(seq & 0xff)};
}

Expected<AudioLevel, Error> parse_audio_level(ByteSpan data) {
  // RFC 6464 §3: the value is exactly one byte in both element forms.
  if (data.size() != 1) return Unexpected(Error::kBadValue);
  const auto b = std::to_integer<std::uint8_t>(data[0]);
  return AudioLevel{(b & 0x80) != 0, static_cast<std::uint8_t>(b & 0x7f)};
}

std::array<std::byte, 1> audio_level_bytes(AudioLevel a) {
  const std::uint8_t level = a.level > 127 ? 127 : a.level;
  return {std::byte(static_cast<std::uint8_t>((a.voice ? 0x80 : 0) | level))};
}

Expected<ByteSpan, Error> parse_dependency_descriptor(ByteSpan data) {
  if (data.size() < 3) return Unexpected(Error::kBadValue);
  return data;
}

}  // namespace peerkit::rtp
