#include "stun/message.h"

#include <cstring>

#include "stun/integrity.h"

namespace peerkit::stun {

const char* to_string(ParseError e) {
  switch (e) {
    case ParseError::kTooShort:
      return "too short";
    case ParseError::kNotStun:
      return "not a STUN message";
    case ParseError::kLengthMismatch:
      return "length mismatch";
    case ParseError::kBadAttribute:
      return "malformed attribute";
    case ParseError::kTooManyAttributes:
      return "too many attributes";
    case ParseError::kAttributeAfterFingerprint:
      return "attribute after FINGERPRINT";
  }
  return "?";
}

bool MessageView::looks_like_stun(ByteSpan data) {
  if (data.size() < kHeaderSize) return false;
  ByteReader r(data);
  const auto type = r.u16();
  const auto length = r.u16();
  const auto cookie = r.u32();
  return (type & 0xC000) == 0 && (length & 3) == 0 && cookie == kMagicCookie;
}

Expected<MessageView, ParseError> MessageView::parse(ByteSpan data) {
  if (data.size() < kHeaderSize) return Unexpected(ParseError::kTooShort);
  if (!looks_like_stun(data)) return Unexpected(ParseError::kNotStun);
  MessageView m;
  m.data_ = data;
  ByteReader r(data);
  const std::uint16_t type = r.u16();
  const std::uint16_t length = r.u16();
  r.skip(4);
  const ByteSpan tid = r.bytes(12);
  std::memcpy(m.tid_.bytes.data(), tid.data(), 12);
  if (kHeaderSize + length != data.size()) return Unexpected(ParseError::kLengthMismatch);

  // Type bits: M11..M7 C1 M6..M4 C0 M3..M0 (RFC 8489 §5, figure 3).
  m.raw_method_ =
      static_cast<std::uint16_t>((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
  m.method_ = static_cast<Method>(m.raw_method_);
  m.class_ = static_cast<MessageClass>(((type >> 4) & 1) | ((type >> 7) & 2));

  while (r.remaining() > 0) {
    const std::size_t header_at = r.position();
    const std::uint16_t at = r.u16();
    const std::uint16_t alen = r.u16();
    const std::size_t value_at = r.position();
    r.skip((alen + 3u) & ~3u);  // value plus padding to 32 bits
    if (!r.ok()) return Unexpected(ParseError::kBadAttribute);
    if (m.fp_offset_) return Unexpected(ParseError::kAttributeAfterFingerprint);
    if (at == attr::kFingerprint) {
      m.fp_offset_ = header_at;
    } else if (at == attr::kMessageIntegritySha256) {
      if (!m.mi256_offset_) m.mi256_offset_ = header_at;
    } else if (m.mi_offset_ || m.mi256_offset_) {
      continue;  // §14.5/§14.6: everything else after the integrity attributes is ignored
    } else if (at == attr::kMessageIntegrity) {
      m.mi_offset_ = header_at;
    }
    if (m.count_ == kMaxAttributes) return Unexpected(ParseError::kTooManyAttributes);
    m.attrs_[m.count_++] = {at, static_cast<std::uint16_t>(value_at), alen};
  }
  return m;
}

std::optional<ByteSpan> MessageView::find(std::uint16_t type) const {
  for (std::size_t i = 0; i < count_; ++i) {
    if (attrs_[i].type == type) return data_.subspan(attrs_[i].offset, attrs_[i].length);
  }
  return std::nullopt;
}

std::size_t MessageView::unknown_required(std::span<std::uint16_t> out) const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < count_ && n < out.size(); ++i) {
    const auto t = attrs_[i].type;
    if (attr::is_comprehension_required(t) && !attr::is_known_required(t)) out[n++] = t;
  }
  return n;
}

std::uint16_t encode_message_type(std::uint16_t method, MessageClass c) {
  const auto cls = static_cast<std::uint16_t>(c);
  return static_cast<std::uint16_t>((method & 0x000F) | ((method & 0x0070) << 1) |
                                    ((method & 0x0F80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7));
}

MessageBuilder::MessageBuilder(MutableByteSpan buffer, std::uint16_t method, MessageClass c,
                               const TransactionId& tid)
    : w_(buffer), tid_(tid) {
  w_.u16(encode_message_type(method, c));
  w_.u16(0);
  w_.u32(kMagicCookie);
  w_.bytes(tid.bytes);
}

void MessageBuilder::begin_attribute(std::uint16_t type, std::size_t length) {
  if (length > 0xFFFF) {
    w_.zeros(w_.buffer().size() + 1);  // force the sticky failure
    return;
  }
  w_.u16(type);
  w_.u16(static_cast<std::uint16_t>(length));
}

void MessageBuilder::end_attribute(std::size_t length) {
  w_.zeros((4 - length % 4) % 4);  // padding bytes are zero (§14)
  update_length();
}

void MessageBuilder::update_length() {
  if (w_.ok()) w_.patch_u16(2, static_cast<std::uint16_t>(w_.size() - kHeaderSize));
}

void MessageBuilder::add(std::uint16_t type, ByteSpan value) {
  begin_attribute(type, value.size());
  w_.bytes(value);
  end_attribute(value.size());
}

void MessageBuilder::add_u32(std::uint16_t type, std::uint32_t v) {
  begin_attribute(type, 4);
  w_.u32(v);
  end_attribute(4);
}

void MessageBuilder::add_u64(std::uint16_t type, std::uint64_t v) {
  begin_attribute(type, 8);
  w_.u64(v);
  end_attribute(8);
}

void MessageBuilder::add_error(int code, std::string_view reason) {
  if (reason.size() > 763) reason = reason.substr(0, 763);  // §14.8: < 128 characters
  begin_attribute(attr::kErrorCode, 4 + reason.size());
  w_.u16(0);
  w_.u8(static_cast<std::uint8_t>(code / 100));
  w_.u8(static_cast<std::uint8_t>(code % 100));
  w_.bytes(as_bytes(reason));
  end_attribute(4 + reason.size());
}

void MessageBuilder::add_message_integrity(ByteSpan key) {
  add_integrity<20>(attr::kMessageIntegrity, key, hmac_sha1);
}

void MessageBuilder::add_message_integrity_sha256(ByteSpan key) {
  add_integrity<32>(attr::kMessageIntegritySha256, key, hmac_sha256);
}

void MessageBuilder::add_fingerprint() {
  if (!w_.ok()) return;
  const std::size_t at = w_.size();
  w_.patch_u16(2, static_cast<std::uint16_t>(at + 8 - kHeaderSize));
  const std::uint32_t crc = crc32(w_.written()) ^ kFingerprintXor;
  add_u32(attr::kFingerprint, crc);
}

}  // namespace peerkit::stun
