#include "sctp/dcep.h"

namespace peerkit::sctp {
namespace {

bool known_type(std::uint8_t t) {
  switch (t) {
    case 0x00: case 0x80: case 0x01: case 0x81: case 0x02: case 0x82: return true;
    default: return false;
  }
}

}  // namespace

std::vector<std::byte> encode_open(const DcepOpen& o) {
  // RFC 8832 §5.1: type, channel type, priority, reliability, label length, protocol length.
  std::vector<std::byte> out(12 + o.label.size() + o.protocol.size());
  ByteWriter w(out);
  w.u8(kDcepOpen);
  w.u8(static_cast<std::uint8_t>(o.type));
  w.u16(o.priority);
  w.u32(o.reliability);
  w.u16(static_cast<std::uint16_t>(o.label.size()));
  w.u16(static_cast<std::uint16_t>(o.protocol.size()));
  w.bytes(as_bytes(o.label));
  w.bytes(as_bytes(o.protocol));
  return out;
}

std::vector<std::byte> encode_ack() {
  return {std::byte{kDcepAck}};
}

std::optional<DcepOpen> decode_open(ByteSpan message) {
  ByteReader r(message);
  if (r.u8() != kDcepOpen) return std::nullopt;
  DcepOpen o;
  const std::uint8_t type = r.u8();
  o.priority = r.u16();
  o.reliability = r.u32();
  const std::size_t label = r.u16();
  const std::size_t protocol = r.u16();
  if (!r.ok() || !known_type(type) || r.remaining() != label + protocol) return std::nullopt;
  o.type = static_cast<ChannelType>(type);
  o.label = std::string(as_string_view(r.bytes(label)));
  o.protocol = std::string(as_string_view(r.bytes(protocol)));
  return o;
}

bool is_ack(ByteSpan message) {
  return message.size() == 1 && std::to_integer<std::uint8_t>(message[0]) == kDcepAck;
}

}  // namespace peerkit::sctp
