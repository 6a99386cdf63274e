#include "stun/attributes.h"

#include <cstring>

namespace peerkit::stun {
namespace {

std::optional<SocketAddress> decode_address_impl(ByteSpan value, const TransactionId* tid) {
  ByteReader r(value);
  r.u8();  // reserved
  const std::uint8_t family = r.u8();
  std::uint16_t port = r.u16();
  if (!r.ok()) return std::nullopt;
  if (tid) port ^= static_cast<std::uint16_t>(kMagicCookie >> 16);
  if (family == kFamilyIpv4 && value.size() == 8) {
    std::uint32_t ip = r.u32();
    if (tid) ip ^= kMagicCookie;
    return SocketAddress(IpAddress::v4(ip), port);
  }
  if (family == kFamilyIpv6 && value.size() == 20) {
    std::array<std::uint8_t, 16> b{};
    const ByteSpan raw = r.bytes(16);
    std::memcpy(b.data(), raw.data(), 16);
    if (tid) {
      // XOR with the magic cookie followed by the transaction id (§14.2).
      std::uint8_t mask[16] = {0x21, 0x12, 0xA4, 0x42};
      std::memcpy(mask + 4, tid->bytes.data(), 12);
      for (int i = 0; i < 16; ++i) b[i] ^= mask[i];
    }
    return SocketAddress(IpAddress::v6(b), port);
  }
  return std::nullopt;
}

void add_address_impl(MessageBuilder& b, std::uint16_t type, const SocketAddress& a, bool xored) {
  std::byte buf[20];
  ByteWriter w(buf);
  w.u8(0);
  w.u8(a.ip().is_v4() ? kFamilyIpv4 : kFamilyIpv6);
  w.u16(xored ? static_cast<std::uint16_t>(a.port() ^ (kMagicCookie >> 16)) : a.port());
  if (a.ip().is_v4()) {
    w.u32(xored ? a.ip().v4_value() ^ kMagicCookie : a.ip().v4_value());
  } else {
    std::uint8_t bytes[16];
    std::memcpy(bytes, a.ip().bytes().data(), 16);
    if (xored) {
      std::uint8_t mask[16] = {0x21, 0x12, 0xA4, 0x42};
      std::memcpy(mask + 4, b.transaction_id().bytes.data(), 12);
      for (int i = 0; i < 16; ++i) bytes[i] ^= mask[i];
    }
    w.bytes(std::as_bytes(std::span(bytes)));
  }
  b.add(type, w.written());
}

}  // namespace

std::optional<SocketAddress> decode_address(ByteSpan value) {
  return decode_address_impl(value, nullptr);
}
std::optional<SocketAddress> decode_xor_address(ByteSpan value, const TransactionId& tid) {
  return decode_address_impl(value, &tid);
}
void add_address(MessageBuilder& b, std::uint16_t type, const SocketAddress& a) {
  add_address_impl(b, type, a, false);
}
void add_xor_address(MessageBuilder& b, std::uint16_t type, const SocketAddress& a) {
  add_address_impl(b, type, a, true);
}

std::optional<std::uint32_t> decode_u32(ByteSpan value) {
  if (value.size() != 4) return std::nullopt;
  return ByteReader(value).u32();
}

std::optional<std::uint64_t> decode_u64(ByteSpan value) {
  if (value.size() != 8) return std::nullopt;
  return ByteReader(value).u64();
}

std::optional<std::string_view> decode_text(ByteSpan value, std::size_t max_bytes) {
  if (value.size() > max_bytes) return std::nullopt;
  return as_string_view(value);
}

std::optional<ErrorCode> decode_error_code(ByteSpan value) {
  ByteReader r(value);
  r.u16();
  const int cls = r.u8() & 0x07;
  const int number = r.u8();
  if (!r.ok() || cls < 3 || cls > 6 || number > 99) return std::nullopt;
  return ErrorCode{cls * 100 + number, as_string_view(value.subspan(4))};
}

std::optional<ErrorCode> find_error_code(const MessageView& m) {
  const auto v = m.find(attr::kErrorCode);
  return v ? decode_error_code(*v) : std::nullopt;
}

void add_unknown_attributes(MessageBuilder& b, std::span<const std::uint16_t> types) {
  std::byte buf[2 * 16];
  ByteWriter w(buf);
  for (std::size_t i = 0; i < types.size() && i < 16; ++i) w.u16(types[i]);
  b.add(attr::kUnknownAttributes, w.written());
}

std::vector<std::uint16_t> decode_unknown_attributes(ByteSpan value) {
  std::vector<std::uint16_t> out;
  ByteReader r(value);
  while (r.remaining() >= 2) out.push_back(r.u16());
  return out;
}

std::optional<std::uint16_t> decode_channel_number(ByteSpan value) {
  if (value.size() != 4) return std::nullopt;
  return ByteReader(value).u16();
}

void add_channel_number(MessageBuilder& b, std::uint16_t channel) {
  std::byte buf[4];
  ByteWriter w(buf);
  w.u16(channel);
  w.u16(0);
  b.add(attr::kChannelNumber, w.written());
}

std::optional<std::uint8_t> decode_requested_transport(ByteSpan value) {
  if (value.size() != 4) return std::nullopt;
  return ByteReader(value).u8();
}

void add_requested_transport(MessageBuilder& b, std::uint8_t protocol) {
  std::byte buf[4] = {std::byte{protocol}};
  b.add(attr::kRequestedTransport, ByteSpan(buf));
}

std::optional<AddressFamily> decode_address_family(ByteSpan value) {
  if (value.size() != 4) return std::nullopt;
  const auto f = ByteReader(value).u8();
  if (f == kFamilyIpv4) return AddressFamily::kIpv4;
  if (f == kFamilyIpv6) return AddressFamily::kIpv6;
  return std::nullopt;
}

void add_address_family(MessageBuilder& b, std::uint16_t type, AddressFamily f) {
  std::byte buf[4] = {std::byte{f == AddressFamily::kIpv4 ? kFamilyIpv4 : kFamilyIpv6}};
  b.add(type, ByteSpan(buf));
}

std::optional<bool> decode_even_port(ByteSpan value) {
  if (value.size() != 1) return std::nullopt;
  return (ByteReader(value).u8() & 0x80) != 0;
}

void add_even_port(MessageBuilder& b, bool reserve_next) {
  std::byte v{static_cast<std::uint8_t>(reserve_next ? 0x80 : 0)};
  b.add(attr::kEvenPort, ByteSpan(&v, 1));
}

void add_address_error_code(MessageBuilder& b, AddressFamily f, int code) {
  std::byte buf[4];
  ByteWriter w(buf);
  w.u8(f == AddressFamily::kIpv4 ? kFamilyIpv4 : kFamilyIpv6);
  w.u8(0);
  w.u8(static_cast<std::uint8_t>(code / 100));
  w.u8(static_cast<std::uint8_t>(code % 100));
  b.add(attr::kAddressErrorCode, w.written());
}

std::vector<PasswordAlgorithm> decode_password_algorithms(ByteSpan value) {
  std::vector<PasswordAlgorithm> out;
  ByteReader r(value);
  while (r.remaining() >= 4 && out.size() < 16) {
    const auto alg = r.u16();
    const auto plen = r.u16();
    r.skip((plen + 3u) & ~3u);
    if (!r.ok()) return {};
    out.push_back(static_cast<PasswordAlgorithm>(alg));
  }
  return out;
}

void add_password_algorithms(MessageBuilder& b, std::span<const PasswordAlgorithm> algorithms) {
  std::byte buf[4 * 8];
  ByteWriter w(buf);
  for (std::size_t i = 0; i < algorithms.size() && i < 8; ++i) {
    w.u16(static_cast<std::uint16_t>(algorithms[i]));
    w.u16(0);  // neither MD5 nor SHA-256 has parameters
  }
  b.add(attr::kPasswordAlgorithms, w.written());
}

std::optional<PasswordAlgorithm> decode_password_algorithm(ByteSpan value) {
  ByteReader r(value);
  const auto alg = r.u16();
  const auto plen = r.u16();
  if (!r.ok() || value.size() != 4u + ((plen + 3u) & ~3u)) return std::nullopt;
  return static_cast<PasswordAlgorithm>(alg);
}

void add_password_algorithm(MessageBuilder& b, PasswordAlgorithm a) {
  std::byte buf[4];
  ByteWriter w(buf);
  w.u16(static_cast<std::uint16_t>(a));
  w.u16(0);
  b.add(attr::kPasswordAlgorithm, w.written());
}

std::optional<ChangeRequest> decode_change_request(ByteSpan value) {
  const auto v = decode_u32(value);
  if (!v) return std::nullopt;
  return ChangeRequest{(*v & 0x4) != 0, (*v & 0x2) != 0};
}

}  // namespace peerkit::stun
