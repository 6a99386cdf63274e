// RFC 1982 comparisons and 16/32-bit unwrapping (rtp/sequence.h).
#include "rtp/sequence.h"

#include <gtest/gtest.h>

namespace peerkit::rtp {
namespace {

TEST(Sequence, NewerAcrossWrap) {
  EXPECT_TRUE(seq_newer(1, 0));
  EXPECT_TRUE(seq_newer(0, 65535));
  EXPECT_TRUE(seq_newer(10, 65530));
  EXPECT_FALSE(seq_newer(65535, 0));
  EXPECT_FALSE(seq_newer(5, 5));
  EXPECT_TRUE(seq_newer(0x7fff, 0));
  // Exactly half apart is undefined in RFC 1982: neither is newer.
  EXPECT_FALSE(seq_newer(0x8000, 0));
  EXPECT_FALSE(seq_newer(0, 0x8000));
  EXPECT_TRUE(ts_newer(5, 0xfffffff0u));
  EXPECT_FALSE(ts_newer(0xfffffff0u, 5));
}

TEST(Sequence, Deltas) {
  EXPECT_EQ(seq_delta(2, 65534), 4);
  EXPECT_EQ(seq_delta(65534, 2), -4);
  EXPECT_EQ(seq_delta(100, 100), 0);
  EXPECT_EQ(ts_delta(10, 0xfffffff6u), 20);
  EXPECT_EQ(ts_delta(0xfffffff6u, 10), -20);
}

TEST(Sequence, UnwrapsForwardAcrossTheWrap) {
  SeqUnwrapper u;
  const std::int64_t base = u.unwrap(65534);
  EXPECT_EQ(base, 65536 + 65534);
  EXPECT_EQ(u.unwrap(65535), base + 1);
  EXPECT_EQ(u.unwrap(0), base + 2);
  EXPECT_EQ(u.unwrap(1), base + 3);
  EXPECT_EQ(*u.newest(), base + 3);
}

TEST(Sequence, ReorderedPacketGetsItsOldIndexWithoutMovingNewest) {
  SeqUnwrapper u;
  const std::int64_t base = u.unwrap(65535);
  EXPECT_EQ(u.unwrap(1), base + 2);
  EXPECT_EQ(u.unwrap(0), base + 1);  // late
  EXPECT_EQ(*u.newest(), base + 2);
  EXPECT_EQ(u.peek(2), base + 3);
  EXPECT_EQ(*u.newest(), base + 2);  // peek does not move it
  // A packet from just before the first one still gets a non-negative index.
  SeqUnwrapper v;
  EXPECT_EQ(v.unwrap(0), 65536);
  EXPECT_EQ(v.unwrap(65535), 65535);
}

TEST(Sequence, ManyCyclesStayMonotonic) {
  SeqUnwrapper u;
  std::int64_t last = u.unwrap(0);
  for (std::uint32_t i = 1; i < 5 * 65536; i += 1000) {
    const std::int64_t now = u.unwrap(static_cast<std::uint16_t>(i));
    EXPECT_EQ(now, last + 1000 - (i == 1 ? 999 : 0)) << i;
    last = now;
  }
}

TEST(Sequence, TimestampsUnwrapPast32Bits) {
  TimestampUnwrapper u;
  const std::int64_t a = u.unwrap(0xffffff00u);
  EXPECT_EQ(u.unwrap(0x00000100u), a + 0x200);
  EXPECT_EQ(u.unwrap(0xffffff80u), a + 0x80);
  u.reset();
  EXPECT_FALSE(u.newest().has_value());
}

}  // namespace
}  // namespace peerkit::rtp
