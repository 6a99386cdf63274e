// RFC 3550 §5.1 header parse/build and the forwarding rewrites.
#include "rtp/packet.h"

namespace peerkit::rtp {

Expected<PacketView, Error> parse_packet(ByteSpan packet) {
  ByteReader r(packet);
  const std::uint8_t b0 = r.u8();
  const std::uint8_t b1 = r.u8();
  PacketView v;
  v.header.sequence = r.u16();
  v.header.timestamp = r.u32();
  v.header.ssrc = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  if ((b0 >> 6) != 2) return Unexpected(Error::kBadVersion);
  const bool padding = b0 & 0x20;
  const bool extension = b0 & 0x10;
  v.header.csrc_count = b0 & 0x0f;
  v.header.marker = b1 & 0x80;
  v.header.payload_type = b1 & 0x7f;
  for (std::size_t i = 0; i < v.header.csrc_count; ++i) v.header.csrcs[i] = r.u32();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  if (extension) {
    v.has_extension_block = true;
    v.extension_profile = r.u16();
    const std::size_t words = r.u16();
    ByteSpan data = r.bytes(words * 4);
    if (!r.ok()) return Unexpected(Error::kTooShort);
    auto list = parse_extensions(v.extension_profile, data);
    if (!list) return Unexpected(list.error());
    v.extensions = *list;
  }
  v.header_size = r.position();
  std::size_t end = packet.size();
  if (padding) {
    // §5.1: the last octet counts the padding, itself included; it cannot be 0 or eat the header.
    const auto count = std::to_integer<std::uint8_t>(packet[end - 1]);
    if (count == 0 || count > end - v.header_size) return Unexpected(Error::kBadPadding);
    v.padding = count;
    end -= count;
  }
  v.payload = packet.subspan(v.header_size, end - v.header_size);
  return v;
}

bool looks_like_rtp_or_rtcp(ByteSpan d) {
  if (d.size() < 2) return false;
  const auto b0 = std::to_integer<std::uint8_t>(d[0]);
  return b0 >= 128 && b0 <= 191;
}

bool is_rtcp(ByteSpan d) {
  if (!looks_like_rtp_or_rtcp(d)) return false;
  const auto b1 = std::to_integer<std::uint8_t>(d[1]);
  return b1 >= 192 && b1 <= 223;
}

std::size_t packet_size(const PacketBuild& p) {
  auto ext = extensions_size(p.extensions);
  if (!ext) return 0;
  return kFixedHeaderSize + 4 * std::size_t{p.header.csrc_count} + *ext + p.payload.size() +
         p.padding;
}

Expected<std::size_t, Error> build_packet(const PacketBuild& p, MutableByteSpan out) {
  if (p.header.payload_type > 127 || p.header.csrc_count > 15) return Unexpected(Error::kBadValue);
  auto ext = extensions_size(p.extensions);
  if (!ext) return Unexpected(ext.error());
  ByteWriter w(out);
  std::uint8_t b0 = 0x80 | p.header.csrc_count;
  if (p.padding) b0 |= 0x20;
  if (*ext) b0 |= 0x10;
  w.u8(b0);
  w.u8(static_cast<std::uint8_t>((p.header.marker ? 0x80 : 0) | p.header.payload_type));
  w.u16(p.header.sequence);
  w.u32(p.header.timestamp);
  w.u32(p.header.ssrc);
  for (auto c : p.header.csrc_list()) w.u32(c);
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  if (auto r = write_extensions(p.extensions, w); !r) return Unexpected(r.error());
  w.bytes(p.payload);
  if (p.padding) {
    w.zeros(p.padding - 1u);
    w.u8(p.padding);
  }
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  return w.size();
}

namespace {
bool put(MutableByteSpan p, std::size_t at, std::uint32_t v, int bytes) {
  if (p.size() < kFixedHeaderSize) return false;
  for (int i = bytes - 1; i >= 0; --i, v >>= 8) p[at + i] = std::byte(v & 0xff);
  return true;
}
}  // namespace

bool set_payload_type(MutableByteSpan p, std::uint8_t pt) {
  if (p.size() < kFixedHeaderSize || pt > 127) return false;
  p[1] = (p[1] & std::byte{0x80}) | std::byte{pt};
  return true;
}
bool set_marker(MutableByteSpan p, bool m) {
  if (p.size() < kFixedHeaderSize) return false;
  p[1] = m ? (p[1] | std::byte{0x80}) : (p[1] & std::byte{0x7f});
  return true;
}
bool set_sequence(MutableByteSpan p, std::uint16_t seq) {
  return put(p, 2, seq, 2);
}
bool set_timestamp(MutableByteSpan p, std::uint32_t ts) {
  return put(p, 4, ts, 4);
}
bool set_ssrc(MutableByteSpan p, std::uint32_t ssrc) {
  return put(p, 8, ssrc, 4);
}

bool rewrite_in_place(MutableByteSpan p, const Rewrite& r) {
  if (p.size() < kFixedHeaderSize) return false;
  if (r.payload_type && *r.payload_type > 127) return false;
  if (r.payload_type) set_payload_type(p, *r.payload_type);
  if (r.sequence) set_sequence(p, *r.sequence);
  if (r.timestamp) set_timestamp(p, *r.timestamp);
  if (r.ssrc) set_ssrc(p, *r.ssrc);
  return true;
}

Expected<std::size_t, Error> rewrite_packet(ByteSpan packet, const ExtensionMap& from,
                                            const ExtensionMap& to, const Rewrite& r,
                                            MutableByteSpan out) {
  auto v = parse_packet(packet);
  if (!v) return Unexpected(v.error());
  auto ext = remap_extensions(v->extensions, from, to);
  if (!ext) return Unexpected(ext.error());
  PacketBuild b;
  b.header = v->header;
  if (r.payload_type) b.header.payload_type = *r.payload_type;
  if (r.sequence) b.header.sequence = *r.sequence;
  if (r.timestamp) b.header.timestamp = *r.timestamp;
  if (r.ssrc) b.header.ssrc = *r.ssrc;
  b.extensions = ext->view();
  b.payload = v->payload;
  b.padding = v->padding;
  return build_packet(b, out);
}

}  // namespace peerkit::rtp
