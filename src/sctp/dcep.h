// The Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK,
// and the payload protocol identifiers of RFC 8831 §8 that data channel messages carry.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/bytes.h"

namespace peerkit::sctp {

// SCTP Payload Protocol Identifiers (RFC 8831 §8, RFC 8832 §8.1).
inline constexpr std::uint32_t kPpidDcep = 50;
inline constexpr std::uint32_t kPpidString = 51;
inline constexpr std::uint32_t kPpidBinary = 53;
inline constexpr std::uint32_t kPpidStringEmpty = 56;
inline constexpr std::uint32_t kPpidBinaryEmpty = 57;
inline constexpr std::uint32_t kPpidStringPartial = 54;  // deprecated, accepted on receive
inline constexpr std::uint32_t kPpidBinaryPartial = 52;

enum class ChannelType : std::uint8_t {
  kReliable = 0x00,
  kReliableUnordered = 0x80,
  kPartialRexmit = 0x01,
  kPartialRexmitUnordered = 0x81,
  kPartialTimed = 0x02,
  kPartialTimedUnordered = 0x82,
};

struct DcepOpen {
  ChannelType type = ChannelType::kReliable;
  std::uint16_t priority = 256;  // RFC 8831 §6.4 "normal"
  std::uint32_t reliability = 0;  // retransmissions or lifetime in ms, by type
  std::string label;
  std::string protocol;

  bool ordered() const { return !(static_cast<std::uint8_t>(type) & 0x80); }
};

inline constexpr std::uint8_t kDcepOpen = 0x03;
inline constexpr std::uint8_t kDcepAck = 0x02;
inline constexpr std::size_t kMaxLabelBytes = 65535;

std::vector<std::byte> encode_open(const DcepOpen& open);
std::vector<std::byte> encode_ack();
// nullopt for anything that is not a well-formed OPEN (lengths must add up exactly).
std::optional<DcepOpen> decode_open(ByteSpan message);
bool is_ack(ByteSpan message);

}  // namespace peerkit::sctp
