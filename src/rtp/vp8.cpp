// RFC 7741 §4.2 descriptor parse/build, §4.3 keyframe bit, and the SFU's in-place rewrites.
#include "rtp/vp8.h"

namespace peerkit::rtp {

namespace {
// Offsets of the rewritable fields, found by the same walk as parse_vp8.
struct Offsets {
  std::size_t picture_id = 0;  // 0 = absent (offset 0 is always the first byte)
  std::size_t tl0picidx = 0;
};

Expected<Vp8Descriptor, Error> parse_with_offsets(ByteSpan p, Offsets* off) {
  ByteReader r(p);
  Vp8Descriptor d;
  const std::uint8_t b0 = r.u8();
  if (!r.ok()) return Unexpected(Error::kTooShort);
  d.non_reference = b0 & 0x20;
  d.start_of_partition = b0 & 0x10;
  d.partition_id = b0 & 0x07;
  d.extended = b0 & 0x80;
  if (d.extended) {
    const std::uint8_t x = r.u8();
    d.has_picture_id = x & 0x80;
    d.has_tl0picidx = x & 0x40;
    d.has_tid = x & 0x20;
    d.has_keyidx = x & 0x10;
    if (d.has_picture_id) {
      if (off) off->picture_id = r.position();
      const std::uint8_t m = r.u8();
      d.picture_id_15bit = m & 0x80;
      d.picture_id = m & 0x7f;
      if (d.picture_id_15bit) d.picture_id = static_cast<std::uint16_t>(d.picture_id << 8 | r.u8());
    }
    if (d.has_tl0picidx) {
      if (off) off->tl0picidx = r.position();
      d.tl0picidx = r.u8();
    }
    if (d.has_tid || d.has_keyidx) {
      const std::uint8_t t = r.u8();
      // Fields of a flag that is clear are ignored by receivers (§4.2); keep them zero so
      // parse ∘ write is exact.
      if (d.has_tid) {
        d.tid = t >> 6;
        d.layer_sync = t & 0x20;
      }
      if (d.has_keyidx) d.keyidx = t & 0x1f;
    }
  }
  if (!r.ok()) return Unexpected(Error::kTooShort);
  d.size = r.position();
  if (d.size >= p.size()) return Unexpected(Error::kTooShort);
  return d;
}
}  // namespace

Expected<Vp8Descriptor, Error> parse_vp8(ByteSpan payload) {
  return parse_with_offsets(payload, nullptr);
}

bool vp8_is_keyframe(ByteSpan payload) {
  auto d = parse_vp8(payload);
  if (!d || !d->start_of_partition || d->partition_id != 0) return false;
  return (std::to_integer<std::uint8_t>(payload[d->size]) & 0x01) == 0;
}

Expected<std::size_t, Error> write_vp8_descriptor(const Vp8Descriptor& d, MutableByteSpan out) {
  if (d.partition_id > 7 || d.tid > 3 || d.keyidx > 31) return Unexpected(Error::kBadValue);
  if (d.picture_id > (d.picture_id_15bit ? 0x7fff : 0x7f)) return Unexpected(Error::kBadValue);
  ByteWriter w(out);
  const bool x = d.extended || d.has_picture_id || d.has_tl0picidx || d.has_tid || d.has_keyidx;
  w.u8(static_cast<std::uint8_t>((x ? 0x80 : 0) | (d.non_reference ? 0x20 : 0) |
                                 (d.start_of_partition ? 0x10 : 0) | d.partition_id));
  if (x) {
    w.u8(static_cast<std::uint8_t>((d.has_picture_id ? 0x80 : 0) | (d.has_tl0picidx ? 0x40 : 0) |
                                   (d.has_tid ? 0x20 : 0) | (d.has_keyidx ? 0x10 : 0)));
    if (d.has_picture_id) {
      if (d.picture_id_15bit) {
        w.u16(static_cast<std::uint16_t>(0x8000 | d.picture_id));
      } else {
        w.u8(static_cast<std::uint8_t>(d.picture_id));
      }
    }
    if (d.has_tl0picidx) w.u8(d.tl0picidx);
    if (d.has_tid || d.has_keyidx)
      w.u8(static_cast<std::uint8_t>((d.has_tid ? (d.tid << 6 | (d.layer_sync ? 0x20 : 0)) : 0) |
                                     (d.has_keyidx ? d.keyidx : 0)));
  }
  if (!w.ok()) return Unexpected(Error::kBufferTooSmall);
  return w.size();
}

bool vp8_set_picture_id(MutableByteSpan payload, std::uint16_t picture_id) {
  Offsets off;
  auto d = parse_with_offsets(payload, &off);
  if (!d || !d->has_picture_id) return false;
  if (d->picture_id_15bit) {
    payload[off.picture_id] =
        std::byte(static_cast<std::uint8_t>(0x80 | ((picture_id >> 8) & 0x7f)));
    payload[off.picture_id + 1] = std::byte(static_cast<std::uint8_t>(picture_id & 0xff));
  } else {
    payload[off.picture_id] = std::byte(static_cast<std::uint8_t>(picture_id & 0x7f));
  }
  return true;
}

bool vp8_set_tl0picidx(MutableByteSpan payload, std::uint8_t tl0picidx) {
  Offsets off;
  auto d = parse_with_offsets(payload, &off);
  if (!d || !d->has_tl0picidx) return false;
  payload[off.tl0picidx] = std::byte{tl0picidx};
  return true;
}

}  // namespace peerkit::rtp
