// Typed values of the header extensions the SFU reads or writes (ids come from ExtensionMap):
//   sdes:mid (RFC 9143 §15), rtp-stream-id / repaired-rtp-stream-id (RFC 8852 §3): ASCII text;
//   abs-send-time (webrtc.org): 24-bit 6.18 fixed-point seconds;
//   transport-wide-cc (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2): 16-bit sequence;
//   ssrc-audio-level (RFC 6464 §3): V flag and level 0–127 in −dBov;
//   dependency descriptor (AV1 RTP spec appendix A): passed through raw, only its 3-byte
//   mandatory part is checked to be present.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"

namespace peerkit::rtp {

// mid / rid / repaired rid: 1–255 bytes of RFC 8852 "RtpStreamId" characters (alphanumerics,
// '-' and '_'; mid is a token, so we accept any printable ASCII). kBadValue otherwise.
Expected<std::string_view, Error> parse_sdes_text(ByteSpan data);

// abs-send-time: seconds in 6.18 fixed point, wrapping every 64 s.
Expected<std::uint32_t, Error> parse_abs_send_time(ByteSpan data);
std::array<std::byte, 3> abs_send_time_bytes(std::uint32_t value_6_18);
// From a time in microseconds (any epoch): the low 24 bits of the 6.18 value.
constexpr std::uint32_t abs_send_time_from_us(std::uint64_t us) {
  return static_cast<std::uint32_t>(((us << 18) / 1'000'000) & 0xffffff);
}

Expected<std::uint16_t, Error> parse_transport_cc(ByteSpan data);
std::array<std::byte, 2> transport_cc_bytes(std::uint16_t seq);

struct AudioLevel {
  bool voice = false;        // V: the encoder thinks this packet holds speech
  std::uint8_t level = 127;  // 0 (loudest) – 127 (silence), −dBov
  bool operator==(const AudioLevel&) const = default;
};
Expected<AudioLevel, Error> parse_audio_level(ByteSpan data);
std::array<std::byte, 1> audio_level_bytes(AudioLevel a);  // level clamped to 127

// The dependency descriptor as forwarded: unchanged bytes, at least 3 of them.
Expected<ByteSpan, Error> parse_dependency_descriptor(ByteSpan data);

}  // namespace peerkit::rtp
