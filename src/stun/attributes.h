// Typed codecs for the attributes STUN, TURN and ICE use. Each decoder validates length and
// content and returns nullopt for anything malformed; each encoder appends to a builder.
//  - (XOR-)MAPPED/PEER/RELAYED-ADDRESS, OTHER-ADDRESS, RESPONSE-ORIGIN: RFC 8489 §14.1-§14.2
//  - ERROR-CODE §14.8, UNKNOWN-ATTRIBUTES §14.9, PASSWORD-ALGORITHM(S) §14.11-§14.12
//  - CHANNEL-NUMBER, LIFETIME, REQUESTED-TRANSPORT, REQUESTED-ADDRESS-FAMILY, EVEN-PORT,
//    RESERVATION-TOKEN, ADDITIONAL-ADDRESS-FAMILY, ADDRESS-ERROR-CODE: RFC 8656 §18
//  - CHANGE-REQUEST, RESPONSE-PORT: RFC 5780 §7
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "common/address.h"
#include "common/bytes.h"
#include "stun/message.h"

namespace peerkit::stun {

// RFC 8489 limits on the text attributes (bytes of UTF-8).
inline constexpr std::size_t kMaxUsernameBytes = 513;
inline constexpr std::size_t kMaxRealmBytes = 763;
inline constexpr std::size_t kMaxNonceBytes = 763;

std::optional<SocketAddress> decode_address(ByteSpan value);
std::optional<SocketAddress> decode_xor_address(ByteSpan value, const TransactionId& tid);
void add_address(MessageBuilder& b, std::uint16_t type, const SocketAddress& a);
void add_xor_address(MessageBuilder& b, std::uint16_t type, const SocketAddress& a);

std::optional<std::uint32_t> decode_u32(ByteSpan value);
std::optional<std::uint64_t> decode_u64(ByteSpan value);
std::optional<std::string_view> decode_text(ByteSpan value, std::size_t max_bytes);

struct ErrorCode {
  int code = 0;
  std::string_view reason;
};
std::optional<ErrorCode> decode_error_code(ByteSpan value);
std::optional<ErrorCode> find_error_code(const MessageView& m);

void add_unknown_attributes(MessageBuilder& b, std::span<const std::uint16_t> types);
std::vector<std::uint16_t> decode_unknown_attributes(ByteSpan value);

// RFC 8656 §18.1: the channel number's top two bits are 01 (0x4000-0x7FFF is the valid range).
std::optional<std::uint16_t> decode_channel_number(ByteSpan value);
void add_channel_number(MessageBuilder& b, std::uint16_t channel);

// RFC 8656 §18.6: protocol number (17 = UDP) followed by three RFFU bytes.
std::optional<std::uint8_t> decode_requested_transport(ByteSpan value);
void add_requested_transport(MessageBuilder& b, std::uint8_t protocol);

// RFC 8656 §18.8/§18.11: family byte (0x01 IPv4, 0x02 IPv6) then RFFU.
std::optional<AddressFamily> decode_address_family(ByteSpan value);
void add_address_family(MessageBuilder& b, std::uint16_t type, AddressFamily f);

// RFC 8656 §18.7: one byte whose top bit asks to reserve the next higher port.
std::optional<bool> decode_even_port(ByteSpan value);
void add_even_port(MessageBuilder& b, bool reserve_next);

// RFC 8656 §18.12: ADDRESS-ERROR-CODE = family, reserved, class, number, reason.
void add_address_error_code(MessageBuilder& b, AddressFamily f, int code);

// RFC 8489 §14.11/§14.12.
std::vector<PasswordAlgorithm> decode_password_algorithms(ByteSpan value);
void add_password_algorithms(MessageBuilder& b, std::span<const PasswordAlgorithm> algorithms);
std::optional<PasswordAlgorithm> decode_password_algorithm(ByteSpan value);
void add_password_algorithm(MessageBuilder& b, PasswordAlgorithm a);

// RFC 5780 §7.2: CHANGE-REQUEST flags.
struct ChangeRequest {
  bool change_ip = false;
  bool change_port = false;
};
std::optional<ChangeRequest> decode_change_request(ByteSpan value);

}  // namespace peerkit::stun
