// Transport-wide CC feedback (rtp/twcc_feedback.h), written by the SFU toward publishers and by a
// native receiver: what it reports, read back by the consumer the SFU uses for its own
// subscribers (sfu/send_history.h).
#include "rtp/twcc_feedback.h"

#include <gtest/gtest.h>

#include "rtp/rtcp.h"
#include "sfu/send_history.h"

namespace peerkit::sfu {
namespace {

const Timestamp kT0 = Timestamp::from_micros(7'000'000);

TEST(TwccFeedback, ReportsArrivalsAndLossesAcrossTheWrapEvery50ms) {
  rtp::TwccFeedback fb;
  SendHistory sender;  // what the publisher's browser keeps, in effect
  std::vector<Timestamp> arrival;
  for (int i = 0; i < 20; ++i) {
    const auto seq = static_cast<std::uint16_t>(65530 + i);
    sender.on_sent(seq, 1000, kT0 + Duration::millis(i));
    arrival.push_back(kT0 + Duration::millis(i) + Duration::micros(20'000 + 37 * i));
    if (i == 4 || i == 11) continue;  // lost on the way
    fb.on_packet(seq, arrival.back());
  }
  EXPECT_FALSE(fb.poll(kT0 + Duration::millis(30), 1, 2));  // not due yet
  EXPECT_EQ(fb.next_timeout(), arrival[0] + rtp::TwccFeedback::kInterval);
  auto report = fb.poll(fb.next_timeout(), 1, 2);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->base_sequence, 65530);
  EXPECT_EQ(report->packets.size(), 20u);
  // Through the wire format and back, as the browser would read it.
  std::array<rtp::RtcpPacket, 1> p{*report};
  std::array<std::byte, 512> buf{};
  auto n = rtp::build_compound(p, buf);
  ASSERT_TRUE(n);
  auto parsed = rtp::parse_compound(std::span(buf).first(*n));
  ASSERT_TRUE(parsed);
  auto results = sender.on_feedback(std::get<rtp::TransportFeedback>((*parsed)[0]));
  ASSERT_EQ(results.size(), 20u);
  for (int i = 0; i < 20; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(results[static_cast<std::size_t>(i)].received, i != 4 && i != 11);
    if (i == 4 || i == 11 || i == 0) continue;
    // Arrival differences survive to the 250 µs tick.
    const auto d = results[static_cast<std::size_t>(i)].arrival - results[0].arrival;
    const auto truth = arrival[static_cast<std::size_t>(i)] - arrival[0];
    EXPECT_LE(std::abs(d.us() - truth.us()), 250);
  }
  EXPECT_FALSE(fb.poll(fb.next_timeout(), 1, 2));  // nothing new
  EXPECT_EQ(fb.next_timeout(), Timestamp::never());
  // A late packet for a number already reported is not reported again.
  fb.on_packet(static_cast<std::uint16_t>(65530 + 4), kT0 + Duration::millis(200));
  EXPECT_EQ(fb.next_timeout(), Timestamp::never());
}

TEST(TwccFeedback, ABurstBeyondTheCapIsSplitAndSentAtOnce) {
  rtp::TwccFeedback fb;
  for (int i = 0; i < 1000; ++i)
    fb.on_packet(static_cast<std::uint16_t>(i), kT0 + Duration::micros(i * 40));
  const Timestamp due = fb.next_timeout();
  std::size_t covered = 0;
  int reports = 0;
  while (auto r = fb.poll(due, 1, 2)) {
    EXPECT_LE(r->packets.size(), rtp::TwccFeedback::kMaxPacketsPerReport);
    EXPECT_EQ(r->base_sequence, covered);
    covered += r->packets.size();
    ++reports;
  }
  EXPECT_EQ(covered, 1000u);
  EXPECT_EQ(reports, 3);
}

// A sender that jumps far ahead (a restart) is reported from its new number on, not with a
// thousand numbers in between called lost.
TEST(TwccFeedback, AFarJumpStartsOverInsteadOfReportingTheGapLost) {
  rtp::TwccFeedback fb;
  fb.on_packet(10, kT0);
  fb.on_packet(11, kT0 + Duration::millis(1));
  auto first = fb.poll(kT0 + rtp::TwccFeedback::kInterval, 1, 2);
  ASSERT_TRUE(first);
  EXPECT_EQ(first->packets.size(), 2u);
  fb.on_packet(5000, kT0 + Duration::millis(60));
  fb.on_packet(5002, kT0 + Duration::millis(61));
  auto next = fb.poll(kT0 + Duration::millis(110), 1, 2);
  ASSERT_TRUE(next);
  EXPECT_EQ(next->base_sequence, 5000);
  ASSERT_EQ(next->packets.size(), 3u);  // 5000, 5001 (lost), 5002
  EXPECT_EQ(next->packets[1].status, rtp::TwccStatus::kNotReceived);
  EXPECT_FALSE(fb.poll(kT0 + Duration::millis(200), 1, 2));
}

}  // namespace
}  // namespace peerkit::sfu
