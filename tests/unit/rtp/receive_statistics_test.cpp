// A receiver's numbers for one remote SSRC (rtp/receive_statistics.h, RFC 3550 §6.4.1 and
// Appendix A.3/A.8): loss per interval and in total, jitter, LSR/DLSR, and the NTP arithmetic
// around them. Shared by the SFU and the native PeerConnection; virtual clock.
#include "rtp/receive_statistics.h"

#include <gtest/gtest.h>

namespace peerkit::rtp {
namespace {

const Timestamp kT0 = Timestamp::from_micros(5'000'000);

TEST(ReceiveStatistics, LossIsCountedPerIntervalAndInTotal) {
  ReceiveStatistics s(90'000);
  // 100 numbers from 65 500 across the wrap, every tenth missing.
  for (int i = 0; i < 100; ++i)
    if (i % 10 != 5) s.on_packet(static_cast<std::uint16_t>(65'500 + i), 3000u * i, kT0);
  auto b = s.report_block(0x1234, kT0);
  EXPECT_EQ(b.ssrc, 0x1234u);
  EXPECT_EQ(b.cumulative_lost, 10);
  EXPECT_EQ(b.fraction_lost, 10 * 256 / 100);
  // Extended: one wrap (cycle count 1 in the high 16 bits), last number 63.
  EXPECT_EQ(b.highest_sequence, (1u << 16) | 63u);
  EXPECT_EQ(b.last_sr, 0u);  // no SR from the publisher yet
  // The next interval had no loss; the total stays.
  for (int i = 100; i < 150; ++i) s.on_packet(static_cast<std::uint16_t>(65'500 + i), 0, kT0);
  b = s.report_block(0x1234, kT0);
  EXPECT_EQ(b.fraction_lost, 0);
  EXPECT_EQ(b.cumulative_lost, 10);
}

TEST(ReceiveStatistics, ReorderingIsNoLossAndDuplicatesMakeItNegative) {
  ReceiveStatistics s(90'000);
  for (std::uint16_t q : {10, 12, 11, 13, 9}) s.on_packet(q, 0, kT0);  // 9 came late, before 10
  EXPECT_EQ(s.expected(), 5);
  EXPECT_EQ(s.lost(), 0);
  s.on_packet(12, 0, kT0);
  EXPECT_EQ(s.lost(), -1);  // §6.4.1: duplicates may make the count negative
  EXPECT_EQ(s.report_block(1, kT0).cumulative_lost, -1);
}

TEST(ReceiveStatistics, JitterFollowsTheTransitTimeVariationOfNewFrames) {
  ReceiveStatistics steady(90'000), shaky(90'000);
  for (int i = 0; i < 400; ++i) {
    const Timestamp t = kT0 + Duration::micros(33'333LL * i);
    // Three packets per frame spread over 2 ms by the sender's pacing: not jitter.
    for (int k = 0; k < 3; ++k)
      steady.on_packet(static_cast<std::uint16_t>(3 * i + k), 3000u * i, t + Duration::millis(k));
    // Every other frame 10 ms late: |D| = 10 ms = 900 ticks each time, so J → 900.
    shaky.on_packet(static_cast<std::uint16_t>(i), 3000u * i, t + Duration::millis(i % 2 ? 10 : 0));
  }
  EXPECT_LE(steady.jitter(), 3u);  // rounding of 33 333 µs to ticks only
  EXPECT_NEAR(static_cast<double>(shaky.jitter()), 900.0, 20.0);
}

TEST(ReceiveStatistics, LsrAndDlsrNameThePublishersLastReport) {
  ReceiveStatistics s(48'000);
  s.on_packet(1, 0, kT0);
  const std::uint64_t ntp = (std::uint64_t{0xE000'1234} << 32) | 0x8000'0000u;
  s.on_sender_report(ntp, 777, kT0);
  auto b = s.report_block(9, kT0 + Duration::millis(250));
  EXPECT_EQ(b.last_sr, 0x1234'8000u);            // the middle 32 bits
  EXPECT_EQ(b.delay_since_last_sr, 65536u / 4);  // 0.25 s in 1/65536 s
  EXPECT_EQ(s.sender_clock()->rtp_time, 777u);
}

TEST(ReportArithmetic, NtpTimesAndDlsrUnits) {
  const std::uint64_t base = std::uint64_t{100} << 32;
  EXPECT_EQ(ntp_plus(base, Duration::millis(1500)), base + (std::uint64_t{1} << 32) + (1u << 31));
  EXPECT_EQ(ntp_plus(base, Duration::micros(-500'000)), base - (1u << 31));
  EXPECT_EQ(to_dlsr_units(Duration::seconds(2)), 131072u);
  EXPECT_EQ(to_dlsr_units(Duration::micros(-5)), 0u);
  EXPECT_EQ(to_dlsr_units(Duration::seconds(100'000)), 0xffff'ffffu);  // saturates
  EXPECT_EQ(from_dlsr_units(65536 / 8), Duration::millis(125));
}

}  // namespace
}  // namespace peerkit::rtp
