// RTCP reports (RFC 3550 §6.4): the SFU's receive statistics toward publishers, its sender
// reports toward subscribers on the publisher's clock, and RTT from the blocks that come back.
// Virtual clock. (The statistics themselves: tests/unit/rtp/receive_statistics_test.cpp.)
#include <gtest/gtest.h>

#include <map>
#include <variant>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/receive_statistics.h"
#include "sfu/router.h"
#include "sfu/sender_reports.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

const Timestamp kT0 = Timestamp::from_micros(5'000'000);

TEST(SenderReports, AStreamsReportIsThePublishersClockMovedByItsOffset) {
  const rtp::SenderClock pub{(std::uint64_t{0xE000'0000} << 32), 1'000'000, kT0};
  auto sr = sender_report(0xA0, pub, 90'000, 5'000, {42, 4200}, kT0 + Duration::millis(100));
  EXPECT_EQ(sr.ssrc, 0xA0u);
  EXPECT_EQ(sr.ntp_time, rtp::ntp_plus(pub.ntp_time, Duration::millis(100)));
  EXPECT_EQ(sr.rtp_time, 1'000'000u + 9'000u + 5'000u);
  EXPECT_EQ(sr.packet_count, 42u);
  EXPECT_EQ(sr.octet_count, 4200u);
  // RTP arithmetic wraps like the timestamps themselves.
  auto wrapped = sender_report(1, {0, 0xffff'fff0u, kT0}, 48'000, 0x20, {}, kT0);
  EXPECT_EQ(wrapped.rtp_time, 0x10u);
}

TEST(SenderReports, RoundTripIsTimeSinceTheReportLessTheReceiversDelay) {
  SentReports sent;
  rtp::SenderReport a;
  a.ntp_time = std::uint64_t{0x1111'2222} << 16;
  sent.on_sent(a, kT0);
  rtp::SenderReport b;
  b.ntp_time = std::uint64_t{0x3333'4444} << 16;
  sent.on_sent(b, kT0 + Duration::seconds(1));
  rtp::ReportBlock block;
  block.last_sr = 0x3333'4444;
  block.delay_since_last_sr = rtp::to_dlsr_units(Duration::millis(30));
  auto rtt = sent.round_trip(block, kT0 + Duration::millis(1080));
  ASSERT_TRUE(rtt);
  EXPECT_NEAR(static_cast<double>(rtt->us()), 50'000.0, 20.0);  // DLSR rounding: 15 µs
  block.last_sr = 0x1111'2222;  // the older report still matches
  EXPECT_TRUE(sent.round_trip(block, kT0 + Duration::millis(1080)));
  block.last_sr = 0;  // "no SR received yet"
  EXPECT_FALSE(sent.round_trip(block, kT0 + Duration::millis(1080)));
  block.last_sr = 0x5555'6666;  // not ours
  EXPECT_FALSE(sent.round_trip(block, kT0 + Duration::millis(1080)));
  block.last_sr = 0x3333'4444;  // a DLSR longer than the time since: a lie, not a sample
  block.delay_since_last_sr = rtp::to_dlsr_units(Duration::millis(500));
  EXPECT_FALSE(sent.round_trip(block, kT0 + Duration::millis(1080)));

  SmoothedRtt s;
  s.add(Duration::millis(80));
  EXPECT_EQ(s.value(), Duration::millis(80));
  s.add(Duration::millis(160));
  EXPECT_EQ(s.value(), Duration::millis(90));  // gain 1/8
  s.add(Duration::seconds(60));
  EXPECT_LE(*s.value(), Duration::seconds(2));  // a sample is clamped to 10 s
}

// End to end through the Router: a publisher's SR, the SFU's SR to a subscriber and its RR to
// the publisher, and the subscriber's RR giving the RTT that NACK handling then uses.
struct ReportRoom {
  ManualClock clock{kT0};
  Router router;
  test::SimPublisher pub;
  TrackId track = *router.add_track(test::simulcast_track(ParticipantId{1}));
  std::map<std::uint32_t, std::vector<rtp::RtcpPacket>> rtcp_to;
  std::vector<std::pair<Timestamp, std::uint32_t>> sub_timestamps;  // egress RTP ts when sent
  int frames = 0;

  void drain() {
    while (auto o = router.poll_output()) {
      if (o->rtcp) {
        auto p = rtp::parse_compound(o->bytes);
        ASSERT_TRUE(p);
        for (auto& x : *p) rtcp_to[o->to.value].push_back(x);
      } else if (o->to.value == 2) {
        sub_timestamps.emplace_back(clock.now(), rtp::parse_packet(o->bytes)->header.timestamp);
      }
    }
  }
  void frame() {
    for (int l = 0; l < 3; ++l)
      for (const auto& p : pub.frame(l, clock.now(), frames == 0))
        router.handle_rtp(clock.now(), ParticipantId{1}, p->bytes);
    drain();  // media leaves at the frame's time
    ++frames;
    clock.advance(Duration::micros(33'333));
    router.handle_timeout(clock.now());
    drain();
  }
  void rtcp(ParticipantId from, rtp::RtcpPacket p) {
    std::array<rtp::RtcpPacket, 1> one{std::move(p)};
    std::array<std::byte, 256> buf{};
    auto n = rtp::build_compound(one, buf);
    ASSERT_TRUE(n);
    router.handle_rtcp(clock.now(), from, std::span(buf).first(*n));
  }
  template <class T>
  std::vector<T> sent_to(std::uint32_t who) {
    std::vector<T> out;
    for (const auto& p : rtcp_to[who])
      if (auto* x = std::get_if<T>(&p)) out.push_back(*x);
    return out;
  }
};

TEST(RouterReports, SenderAndReceiverReportsAndTheSubscribersRtt) {
  ReportRoom r;
  ASSERT_TRUE(r.router.subscribe(ParticipantId{2}, r.track, test::subscriber(0xA0), 2,
                                 OutboundStream::Config{90'000, 100, 7'777, 0, 0}, 500));
  for (int i = 0; i < 10; ++i) r.frame();
  // The publisher reports layer 2's clock: frame 10 is due now at RTP 2e9 + 30 000.
  const std::uint64_t pub_ntp = std::uint64_t{0xE100'0000} << 32;
  r.rtcp(ParticipantId{1}, rtp::SenderReport{0x3333, pub_ntp, 2'000'000'000u + 30'000u, 0, 0, {}});
  while (r.sent_to<rtp::SenderReport>(2).empty() && r.frames < 100) r.frame();

  // To the subscriber: one SR for its stream, on the publisher's clock and the stream's
  // timestamps (the packet sent last, advanced by the time since it was sent).
  auto srs = r.sent_to<rtp::SenderReport>(2);
  ASSERT_EQ(srs.size(), 1u);
  const rtp::SenderReport& sr = srs[0];
  EXPECT_EQ(sr.ssrc, 0xA0u);
  EXPECT_EQ(sr.packet_count, r.sub_timestamps.size());
  EXPECT_GT(sr.octet_count, 0u);
  const auto [sent_at, sent_ts] = r.sub_timestamps.back();
  const Timestamp report_at = r.clock.now();
  const std::int64_t ticks = (report_at - sent_at).us() * 90 / 1000;
  EXPECT_NEAR(static_cast<double>(static_cast<std::int32_t>(sr.rtp_time - sent_ts)),
              static_cast<double>(ticks), 2.0);
  // Its NTP time is the publisher's, advanced from the SR by the same real time.
  const Duration since_pub_sr = report_at - (kT0 + Duration::micros(33'333LL * 10));
  EXPECT_NEAR(static_cast<double>(sr.ntp_time - pub_ntp),
              static_cast<double>(rtp::ntp_plus(0, since_pub_sr)), 5000.0);

  // To the publisher: an RR every second (the first at the first timer), each with a block
  // for each of its three layers; the latest one's LSR names its SR.
  auto rrs = r.sent_to<rtp::ReceiverReport>(1);
  ASSERT_EQ(rrs.size(), 2u);
  ASSERT_EQ(rrs[1].reports.size(), 3u);
  for (const auto& b : rrs[1].reports) {
    EXPECT_EQ(b.cumulative_lost, 0);
    if (b.ssrc == 0x3333) {
      EXPECT_EQ(b.last_sr, rtp::ntp_middle(pub_ntp));
      EXPECT_GT(b.delay_since_last_sr, 0u);
    } else {
      EXPECT_EQ(b.last_sr, 0u);
    }
  }
  EXPECT_EQ(r.router.stats().sender_reports_sent, 1u);
  EXPECT_EQ(r.router.stats().receiver_reports_sent, 2u);

  // The subscriber answers 70 ms later, having held the SR for 30 ms: RTT 40 ms.
  EXPECT_FALSE(r.router.rtt(ParticipantId{2}));
  r.clock.advance(Duration::millis(70));
  rtp::ReportBlock back;
  back.ssrc = 0xA0;
  back.fraction_lost = 12;
  back.last_sr = rtp::ntp_middle(sr.ntp_time);
  back.delay_since_last_sr = rtp::to_dlsr_units(Duration::millis(30));
  r.rtcp(ParticipantId{2}, rtp::ReceiverReport{0xBEEF, {back}});
  ASSERT_TRUE(r.router.rtt(ParticipantId{2}));
  EXPECT_NEAR(static_cast<double>(r.router.rtt(ParticipantId{2})->us()), 40'000.0, 50.0);
  ASSERT_NE(r.router.last_report(SubscriptionId{1}), nullptr);
  EXPECT_EQ(r.router.last_report(SubscriptionId{1})->fraction_lost, 12);
  EXPECT_EQ(r.router.stats().rtt_samples, 1u);
  // A block from another participant about the same SSRC is not this subscriber's.
  r.rtcp(ParticipantId{1}, rtp::ReceiverReport{0xBEEF, {back}});
  EXPECT_EQ(r.router.stats().rtt_samples, 1u);
  r.router.remove_participant(ParticipantId{2});
  EXPECT_FALSE(r.router.rtt(ParticipantId{2}));
}

TEST(RouterReports, NoSenderReportBeforeThePublisherGaveItsClock) {
  ReportRoom r;
  ASSERT_TRUE(r.router.subscribe(ParticipantId{2}, r.track, test::subscriber(0xA0), 2,
                                 OutboundStream::Config{90'000, 100, 0, 0, 0}, 500));
  for (int i = 0; i < 70; ++i) r.frame();  // 2.3 s: reports at 0.03, 1.03 and 2.03 s
  EXPECT_TRUE(r.sent_to<rtp::SenderReport>(2).empty());
  EXPECT_EQ(r.sent_to<rtp::ReceiverReport>(1).size(), 3u);  // receiving needs no clock
  EXPECT_EQ(r.router.stats().sender_reports_sent, 0u);
}

}  // namespace
}  // namespace peerkit::sfu
