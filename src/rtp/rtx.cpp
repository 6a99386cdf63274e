// RFC 4588 §4 wrap/unwrap: header bytes are copied as they are (so CSRCs and the extension
// block survive untouched) and then the three fields are patched in place.
#include "rtp/rtx.h"

#include <cstring>

#include "rtp/packet.h"

namespace peerkit::rtp {

std::size_t rtx_size(ByteSpan original) {
  auto v = parse_packet(original);
  if (!v) return 0;
  return v->header_size + 2 + v->payload.size();
}

namespace {
// Copies the header with the padding bit cleared (no padding follows in the new packet).
void copy_header(ByteSpan from, std::size_t header_size, ByteWriter& w) {
  w.bytes(from.first(header_size));
  if (w.ok()) w.buffer()[0] &= std::byte{0xdf};
}
}  // namespace

Expected<std::size_t, Error> wrap_rtx(ByteSpan original, const RtxParams& rtx,
                                      MutableByteSpan out) {
  if (rtx.payload_type > 127) return Unexpected(Error::kBadValue);
  auto v = parse_packet(original);
  if (!v) return Unexpected(v.error());
  ByteWriter w(out);
  copy_header(original, v->header_size, w);
  w.u16(v->header.sequence);
  w.bytes(v->payload);
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  rewrite_in_place(out, {rtx.payload_type, rtx.sequence, std::nullopt, rtx.ssrc});
  return w.size();
}

Expected<std::size_t, Error> unwrap_rtx(ByteSpan rtx, const OriginalParams& original,
                                        MutableByteSpan out) {
  if (original.payload_type > 127) return Unexpected(Error::kBadValue);
  auto v = parse_packet(rtx);
  if (!v) return Unexpected(v.error());
  if (v->payload.size() < 2) return Unexpected(Error::kTooShort);
  ByteReader r(v->payload);
  const std::uint16_t osn = r.u16();
  ByteWriter w(out);
  copy_header(rtx, v->header_size, w);
  w.bytes(v->payload.subspan(2));
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  rewrite_in_place(out, {original.payload_type, osn, std::nullopt, original.ssrc});
  return w.size();
}

}  // namespace peerkit::rtp
