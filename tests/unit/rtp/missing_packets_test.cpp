// Which sequence numbers of one stream are missing and when to ask for them
// (rtp/missing_packets.h, RFC 4585 §6.2.1): the SFU's publisher leg and a native receiver use
// it. Virtual clock.
#include "rtp/missing_packets.h"

#include <gtest/gtest.h>

namespace peerkit::rtp {
namespace {

const Timestamp kT0 = Timestamp::from_micros(5'000'000);
const Duration kRtt = Duration::millis(50);  // MissingPackets::Config::retry

TEST(MissingPackets, AGapIsAskedForAfterTheReorderWaitThenRetriedEachRttThenGivenUp) {
  MissingPackets m({.retry = kRtt});
  m.on_packet(100, kT0);
  EXPECT_EQ(m.next_timeout(), Timestamp::never());
  m.on_packet(103, kT0);  // 101 and 102 missing
  EXPECT_EQ(m.missing(), 2u);
  EXPECT_TRUE(m.due(kT0 + Duration::millis(4)).empty());  // could still be reordering
  EXPECT_EQ(m.next_timeout(), kT0 + Duration::millis(5));
  EXPECT_EQ(m.due(kT0 + Duration::millis(5)), (std::vector<std::uint16_t>{101, 102}));
  EXPECT_EQ(m.next_timeout(), kT0 + Duration::millis(55));  // cached, an RTT on
  EXPECT_TRUE(m.due(kT0 + Duration::millis(30)).empty());
  EXPECT_EQ(m.due(kT0 + Duration::millis(55)).size(), 2u);
  EXPECT_EQ(m.due(kT0 + Duration::millis(105)).size(), 2u);  // the third and last try
  EXPECT_TRUE(m.due(kT0 + Duration::millis(130)).empty());
  EXPECT_EQ(m.missing(), 2u);  // the last try still has its RTT to be answered
  EXPECT_TRUE(m.due(kT0 + Duration::millis(155)).empty());
  EXPECT_EQ(m.missing(), 0u);
  EXPECT_EQ(m.stats().detected, 2u);
  EXPECT_EQ(m.stats().given_up, 2u);
  EXPECT_EQ(m.next_timeout(), Timestamp::never());
}

TEST(MissingPackets, LateAndRepairedPacketsCloseTheirGapOnceAndALateOriginalIsRefused) {
  MissingPackets m;
  m.on_packet(65'534, kT0);
  m.on_packet(2, kT0);  // across the wrap: 65 535, 0 and 1 missing
  EXPECT_EQ(m.missing(), 3u);
  EXPECT_TRUE(m.on_packet(65'535, kT0));  // reordered, not lost: forwarded
  EXPECT_TRUE(m.is_missing(0));
  m.repaired(0);
  EXPECT_FALSE(m.is_missing(0));    // a second copy is not needed
  EXPECT_FALSE(m.is_missing(2));    // it arrived: not missing
  EXPECT_FALSE(m.is_missing(500));  // never missing
  EXPECT_FALSE(m.on_packet(0, kT0));  // the original after its repair: a duplicate
  EXPECT_EQ(m.due(kT0 + Duration::millis(5)), (std::vector<std::uint16_t>{1}));
  EXPECT_EQ(m.stats().recovered, 2u);
}

TEST(MissingPackets, AnOutageOrRestartIsNotAskedAboutAndTheCapAndAgeHold) {
  MissingPackets m;
  m.on_packet(10, kT0);
  m.on_packet(30'000, kT0);  // a jump of ~30 000: numbering restarted
  m.on_packet(30'200, kT0);  // 199 in a row: an outage, past a publisher's history
  EXPECT_EQ(m.missing(), 0u);
  std::uint16_t seq = 30'200;
  for (int i = 0; i < 30; ++i) m.on_packet(seq += 11, kT0);  // 30 gaps of 10
  EXPECT_EQ(m.missing(), 256u);  // the oldest 44 gave way
  EXPECT_EQ(m.due(kT0 + Duration::millis(5)).front(), 30'249);  // gaps 1–4 and 4 of gap 5 went
  EXPECT_TRUE(m.due(kT0 + Duration::seconds(1)).empty());  // too old to matter
  EXPECT_EQ(m.missing(), 0u);
}

}  // namespace
}  // namespace peerkit::rtp
