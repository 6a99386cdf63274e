// Transport-wide congestion control feedback, RTPFB FMT 15
// (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1):
//
//   | sender SSRC | media SSRC |
//   |      base sequence number     |      packet status count      |
//   |                 reference time                | fb pkt. count |
//   |  packet chunk  |  packet chunk  | ... | recv delta | recv delta | ... | zero padding
//
// Chunks (§3.1.3, §3.1.4): run length  0 | S (2) | run length (13)
//                          status vector 1 | 0 | 14 × 1-bit symbol   (0 not received, 1 small)
//                          status vector 1 | 1 |  7 × 2-bit symbol
// Symbols: 0 not received, 1 received with a small delta (1 byte, unsigned, 250 µs units),
// 2 received with a large or negative delta (2 bytes, signed), 3 reserved (an error here).
// Reference time: signed 24 bits, multiples of 64 ms.
//
// Parsing expands to one entry per packet; building picks the chunk kinds itself, so parse ∘
// build is exact on the entries but not necessarily on the chunk bytes.
#pragma once

#include <cstdint>
#include <vector>

#include "common/bytes.h"
#include "common/expected.h"
#include "rtp/error.h"
#include "rtp/rtcp_common.h"

namespace peerkit::rtp {

enum class TwccStatus : std::uint8_t { kNotReceived = 0, kSmallDelta = 1, kLargeDelta = 2 };

struct TwccPacket {
  TwccStatus status = TwccStatus::kNotReceived;
  std::int32_t delta = 0;  // 250 µs units; 0–255 for small, −32768–32767 for large, 0 if lost
  bool operator==(const TwccPacket&) const = default;
};

struct TransportFeedback {
  std::uint32_t sender_ssrc = 0;
  std::uint32_t media_ssrc = 0;
  std::uint16_t base_sequence = 0;
  std::int32_t reference_time = 0;  // signed 24 bits, × 64 ms
  std::uint8_t feedback_count = 0;
  std::vector<TwccPacket> packets;  // packets[i] is base_sequence + i; ≤ 65535
  bool operator==(const TransportFeedback&) const = default;
};

constexpr std::int64_t kTwccDeltaUs = 250;
constexpr std::int64_t kTwccReferenceUs = 64'000;

// The status that fits a delta: small when 0 ≤ delta ≤ 255, else large.
constexpr TwccStatus twcc_status_for(std::int32_t delta) {
  return (delta >= 0 && delta <= 255) ? TwccStatus::kSmallDelta : TwccStatus::kLargeDelta;
}

Expected<TransportFeedback, Error> parse_transport_feedback(const RtcpCommon& c);
// kBadValue: a delta out of its status's range, a reference time outside 24 bits, or more than
// 65535 packets.
Expected<bool, Error> write_transport_feedback(const TransportFeedback& f, ByteWriter& w);

}  // namespace peerkit::rtp
