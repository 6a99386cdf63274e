// VP8 payload descriptor (RFC 7741 §4.2), keyframe bit (§4.3) and in-place picture id /
// TL0PICIDX rewriting (rtp/vp8.h).
#include "rtp/vp8.h"

#include <gtest/gtest.h>

#include <array>

#include "hex.h"

namespace peerkit::rtp {
namespace {
using test::bytes_of;
using test::hex;

TEST(Vp8, FullDescriptor) {
  // X S | I L T K | M + picture id 0x0123 | TL0PICIDX 5 | TID 2 Y KEYIDX 5 | payload 50 (key).
  const auto p = hex("90 f0 81 23 05 a5 50");
  auto d = parse_vp8(p);
  ASSERT_TRUE(d) << to_string(d.error());
  EXPECT_TRUE(d->start_of_partition);
  EXPECT_FALSE(d->non_reference);
  EXPECT_EQ(d->partition_id, 0);
  EXPECT_TRUE(d->has_picture_id);
  EXPECT_TRUE(d->picture_id_15bit);
  EXPECT_EQ(d->picture_id, 0x0123);
  EXPECT_TRUE(d->has_tl0picidx);
  EXPECT_EQ(d->tl0picidx, 5);
  EXPECT_TRUE(d->has_tid);
  EXPECT_EQ(d->tid, 2);
  EXPECT_TRUE(d->layer_sync);
  EXPECT_TRUE(d->has_keyidx);
  EXPECT_EQ(d->keyidx, 5);
  EXPECT_EQ(d->size, 6u);
  EXPECT_TRUE(vp8_is_keyframe(p));
  std::array<std::byte, 16> out{};
  auto n = write_vp8_descriptor(*d, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(out).first(*n)), hex("90 f0 81 23 05 a5"));
}

TEST(Vp8, ShortForms) {
  // No X: descriptor is one byte.
  auto d = parse_vp8(hex("10 50"));
  ASSERT_TRUE(d);
  EXPECT_EQ(d->size, 1u);
  EXPECT_FALSE(d->has_picture_id);
  // 7-bit picture id 127, N set, not a start.
  d = parse_vp8(hex("a0 80 7f 00"));
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->non_reference);
  EXPECT_FALSE(d->start_of_partition);
  EXPECT_FALSE(d->picture_id_15bit);
  EXPECT_EQ(d->picture_id, 127);
  EXPECT_EQ(d->size, 3u);
  // K only: the T/K byte's TID bits are ignored (kept zero).
  d = parse_vp8(hex("80 10 ff 00"));
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->has_tid);
  EXPECT_EQ(d->tid, 0);
  EXPECT_EQ(d->keyidx, 31);
  std::array<std::byte, 16> out{};
  auto n = write_vp8_descriptor(*d, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(out).first(*n)), hex("80 10 1f"));
}

TEST(Vp8, ExtendedByteWithNoFlagsIsKept) {
  // X set but I/L/T/K clear (found by fuzz_rtp): the X byte is still there on the wire.
  const auto p = hex("80 00 50");
  auto d = parse_vp8(p);
  ASSERT_TRUE(d);
  EXPECT_TRUE(d->extended);
  EXPECT_EQ(d->size, 2u);
  std::array<std::byte, 4> out{};
  auto n = write_vp8_descriptor(*d, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(out).first(*n)), hex("80 00"));
}

TEST(Vp8, KeyframeNeedsStartOfPartitionZeroAndPClear) {
  EXPECT_TRUE(vp8_is_keyframe(hex("10 50")));
  EXPECT_FALSE(vp8_is_keyframe(hex("10 51")));  // P = 1: interframe
  EXPECT_FALSE(vp8_is_keyframe(hex("00 50")));  // not a start
  EXPECT_FALSE(vp8_is_keyframe(hex("11 50")));  // partition 1
  EXPECT_FALSE(vp8_is_keyframe(hex("10")));     // no payload
  EXPECT_FALSE(vp8_is_keyframe({}));
}

TEST(Vp8, Truncations) {
  const auto p = hex("90 f0 81 23 05 a5 50");
  for (std::size_t n = 0; n < p.size(); ++n) {
    auto d = parse_vp8(std::span(p).first(n));
    ASSERT_FALSE(d) << n;
    EXPECT_EQ(d.error(), Error::kTooShort);
  }
}

TEST(Vp8, RewritesPictureIdAndTl0InPlace) {
  auto p = hex("90 f0 81 23 05 a5 50");
  ASSERT_TRUE(vp8_set_picture_id(p, 0x7ffe));
  ASSERT_TRUE(vp8_set_tl0picidx(p, 0xfe));
  EXPECT_EQ(p, hex("90 f0 ff fe fe a5 50"));
  ASSERT_TRUE(vp8_set_picture_id(p, 0x8001));  // wraps to 15 bits
  EXPECT_EQ(parse_vp8(p)->picture_id, 1);
  auto q = hex("80 80 7f 00");
  ASSERT_TRUE(vp8_set_picture_id(q, 200));  // 7 bits: 200 & 0x7f
  EXPECT_EQ(q, hex("80 80 48 00"));
  EXPECT_FALSE(vp8_set_tl0picidx(q, 1));  // no L
  auto r = hex("10 50");
  EXPECT_FALSE(vp8_set_picture_id(r, 1));
  auto bad = hex("90 f0");
  EXPECT_FALSE(vp8_set_picture_id(bad, 1));
}

TEST(Vp8, WriterRejectsOutOfRangeFields) {
  std::array<std::byte, 16> out{};
  Vp8Descriptor d;
  d.has_picture_id = true;
  d.picture_id = 128;  // needs the 15-bit form
  EXPECT_EQ(write_vp8_descriptor(d, out).error(), Error::kBadValue);
  d.picture_id_15bit = true;
  auto n = write_vp8_descriptor(d, out);
  ASSERT_TRUE(n);
  EXPECT_EQ(bytes_of(std::span(out).first(*n)), hex("80 80 80 80"));
  d.partition_id = 8;
  EXPECT_EQ(write_vp8_descriptor(d, out).error(), Error::kBadValue);
  d.partition_id = 0;
  EXPECT_EQ(write_vp8_descriptor(d, std::span(out).first(3)).error(), Error::kBufferTooSmall);
}

}  // namespace
}  // namespace peerkit::rtp
