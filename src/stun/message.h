// STUN message framing, RFC 8489 §5 (header) and §14 (attribute TLVs).
//
//   0                   1                   2                   3
//   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |0 0|     STUN Message Type     |         Message Length        |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                         Magic Cookie                          |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//  |                     Transaction ID (96 bits)                  |
//  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// MessageView parses without copying: it records where each attribute is inside the caller's
// buffer, which must outlive the view. MessageBuilder writes into a caller-provided buffer.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/bytes.h"
#include "common/expected.h"
#include "stun/constants.h"

namespace peerkit::stun {

struct TransactionId {
  std::array<std::byte, 12> bytes{};
  auto operator<=>(const TransactionId&) const = default;
};

enum class ParseError : std::uint8_t {
  kTooShort,
  kNotStun,         // first two bits, magic cookie, or length not a multiple of 4
  kLengthMismatch,  // header length disagrees with the datagram size
  kBadAttribute,    // attribute runs past the end
  kTooManyAttributes,
  kAttributeAfterFingerprint,
};
const char* to_string(ParseError e);

// Limits on what one message may carry; a message over them is rejected, never truncated.
inline constexpr std::size_t kMaxAttributes = 48;

struct AttributeRef {
  std::uint16_t type;
  std::uint16_t offset;  // of the value, from the start of the message
  std::uint16_t length;
};

class MessageView {
 public:
  // `data` must be exactly one message (a datagram, or a frame cut by stream framing).
  static Expected<MessageView, ParseError> parse(ByteSpan data);
  // Cheap test used to demultiplex STUN from ChannelData, DTLS, RTP (RFC 7983, RFC 8489 §7.3).
  static bool looks_like_stun(ByteSpan data);

  Method method() const { return method_; }
  std::uint16_t raw_method() const { return raw_method_; }
  MessageClass message_class() const { return class_; }
  const TransactionId& transaction_id() const { return tid_; }
  ByteSpan raw() const { return data_; }

  // The first attribute of this type (RFC 8489 §14: later duplicates are ignored). Attributes
  // after MESSAGE-INTEGRITY other than MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are ignored,
  // as §14.5 requires.
  std::optional<ByteSpan> find(std::uint16_t type) const;
  bool has(std::uint16_t type) const { return find(type).has_value(); }
  std::span<const AttributeRef> attributes() const { return {attrs_.data(), count_}; }
  // Comprehension-required attributes this codebase does not understand (for a 420).
  std::size_t unknown_required(std::span<std::uint16_t> out) const;

  // Byte offsets of the integrity attributes' headers, if present.
  std::optional<std::size_t> integrity_offset() const { return mi_offset_; }
  std::optional<std::size_t> integrity_sha256_offset() const { return mi256_offset_; }
  std::optional<std::size_t> fingerprint_offset() const { return fp_offset_; }

 private:
  ByteSpan data_;
  Method method_{};
  std::uint16_t raw_method_ = 0;
  MessageClass class_{};
  TransactionId tid_;
  std::array<AttributeRef, kMaxAttributes> attrs_{};
  std::size_t count_ = 0;
  std::optional<std::size_t> mi_offset_, mi256_offset_, fp_offset_;
};

std::uint16_t encode_message_type(std::uint16_t method, MessageClass c);

class MessageBuilder {
 public:
  MessageBuilder(MutableByteSpan buffer, std::uint16_t method, MessageClass c,
                 const TransactionId& tid);
  MessageBuilder(MutableByteSpan buffer, Method method, MessageClass c, const TransactionId& tid)
      : MessageBuilder(buffer, static_cast<std::uint16_t>(method), c, tid) {}

  void add(std::uint16_t type, ByteSpan value);
  void add(std::uint16_t type, std::string_view value) { add(type, as_bytes(value)); }
  void add_u32(std::uint16_t type, std::uint32_t v);
  void add_u64(std::uint16_t type, std::uint64_t v);
  void add_empty(std::uint16_t type) { add(type, ByteSpan{}); }
  // RFC 8489 §14.9 ERROR-CODE; reason may be empty (peerkit omits phrases by default).
  void add_error(int code, std::string_view reason);

  // RFC 8489 §14.5: HMAC-SHA1 over the message so far, with the length field covering it.
  void add_message_integrity(ByteSpan key);
  // RFC 8489 §14.6: HMAC-SHA256, full 32 bytes.
  void add_message_integrity_sha256(ByteSpan key);
  // RFC 8489 §14.7: CRC-32 of the message so far XOR 0x5354554e. Must be last.
  void add_fingerprint();

  const TransactionId& transaction_id() const { return tid_; }
  bool ok() const { return w_.ok(); }
  // The finished message; empty if the buffer was too small.
  ByteSpan finish() const { return w_.ok() ? w_.written() : ByteSpan{}; }

 private:
  // §14.5/§14.6: the length field must already count the integrity attribute when the HMAC
  // over the message so far is computed.
  template <std::size_t N, class Mac>
  void add_integrity(std::uint16_t type, ByteSpan key, Mac mac_fn) {
    if (!w_.ok()) return;
    w_.patch_u16(2, static_cast<std::uint16_t>(w_.size() + 4 + N - kHeaderSize));
    std::array<std::byte, N> mac{};
    mac_fn(key, w_.written(), mac);
    begin_attribute(type, N);
    w_.bytes(mac);
    end_attribute(N);
  }
  void begin_attribute(std::uint16_t type, std::size_t length);
  void end_attribute(std::size_t length);
  void update_length();

  ByteWriter w_;
  TransactionId tid_;
};

}  // namespace peerkit::stun
