// Send-side bandwidth estimation (sfu/send_history, sfu/delay_trend, sfu/bandwidth_estimator)
// against a simulated bottleneck on a virtual clock: the sender paces at the estimate, the path
// queues and drops, the receiver reports transport-wide CC feedback every 50 ms.
#include "sfu/bandwidth_estimator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "bottleneck_path.h"

namespace peerkit::sfu {
namespace {

using test::BottleneckPath;
using test::PathConfig;

constexpr std::size_t kPacket = 1200;

struct Sim {
  explicit Sim(PathConfig c, BandwidthEstimator::Config e = {}) : path(c), bwe(e) {}
  // Runs in 1 ms steps until `end`, calling `sample` every 100 ms.
  void run_until(Duration end, const std::function<void(Duration, double)>& sample = {}) {
    while (now - start < end) {
      now = now + Duration::millis(1);
      budget += bwe.estimate_bps() / 8 / 1000;
      budget = std::min(budget, 4.0 * kPacket);  // a pacer does not save up bursts
      while (budget >= kPacket) {
        bwe.on_packet_sent(seq, kPacket, now);
        path.send(seq, kPacket, now);
        ++seq;
        budget -= kPacket;
      }
      for (const auto& f : path.poll(now)) bwe.on_feedback(f, now);
      if (sample && (now - start).us() % 100'000 == 0) sample(now - start, bwe.estimate_bps());
    }
  }
  // The first time from which every 100 ms sample up to the end of the run lies within
  // ±`band` of `target`; nullopt if the last sample is outside.
  static std::optional<Duration> settled(const std::vector<std::pair<Duration, double>>& s,
                                         double target, double band) {
    std::optional<Duration> since;
    for (const auto& [t, v] : s) {
      if (std::abs(v - target) <= band * target) {
        if (!since) since = t;
      } else {
        since.reset();
      }
    }
    return since;
  }

  BottleneckPath path;
  BandwidthEstimator bwe;
  Timestamp start = Timestamp::from_micros(1'000'000);
  Timestamp now = start;
  double budget = 0;
  std::uint16_t seq = 65000;  // wraps early in every run
};

TEST(BandwidthEstimator, ConvergesOnABottleneckWithin5Seconds) {
  for (double capacity : {600'000.0, 2'500'000.0, 8'000'000.0}) {
    SCOPED_TRACE(capacity);
    Sim sim({.capacity_bps = capacity});
    std::vector<std::pair<Duration, double>> samples;
    sim.run_until(Duration::seconds(15), [&](Duration t, double v) { samples.emplace_back(t, v); });
    const auto since = Sim::settled(samples, capacity, 0.20);
    ASSERT_TRUE(since) << "final estimate " << samples.back().second;
    EXPECT_LT(*since, Duration::seconds(5)) << "settled at " << since->us() / 1000 << " ms";
    EXPECT_FALSE(sim.bwe.in_slow_start());
    // It found the queue, it did not fill it: most packets get through.
    EXPECT_LT(static_cast<double>(sim.path.queue_drops()), 0.02 * static_cast<double>(sim.path.sent()));
  }
}

TEST(BandwidthEstimator, FollowsACapDownAndFindsTheLinkAgainAfterItLifts) {
  // T13's shape: the subscriber's link drops to 1 Mbit/s, then the cap lifts.
  Sim sim({.capacity_bps = 3'000'000});
  sim.run_until(Duration::seconds(8));
  EXPECT_NEAR(sim.bwe.estimate_bps(), 3'000'000, 0.2 * 3'000'000);
  sim.path.set_capacity(1'000'000);
  std::vector<std::pair<Duration, double>> capped;
  sim.run_until(Duration::seconds(20), [&](Duration t, double v) { capped.emplace_back(t, v); });
  const auto since = Sim::settled(capped, 1'000'000, 0.20);
  ASSERT_TRUE(since);
  EXPECT_LT(*since - Duration::seconds(8), Duration::seconds(5));
  sim.path.set_capacity(3'000'000);
  std::optional<Duration> back;
  sim.run_until(Duration::seconds(35), [&](Duration t, double v) {
    if (!back && v >= 0.8 * 3'000'000) back = t;
  });
  ASSERT_TRUE(back);
  EXPECT_LT(*back - Duration::seconds(20), Duration::seconds(10));
}

TEST(BandwidthEstimator, TwoPercentRandomLossAndA100msRttDoNotDragItDown) {
  // T13: 1 Mbit/s, 100 ms RTT, 2 % loss that is not congestion.
  Sim sim({.capacity_bps = 1'000'000, .one_way = Duration::millis(50), .random_loss = 0.02});
  std::vector<std::pair<Duration, double>> samples;
  sim.run_until(Duration::seconds(15), [&](Duration t, double v) { samples.emplace_back(t, v); });
  const auto since = Sim::settled(samples, 1'000'000, 0.20);
  ASSERT_TRUE(since) << "final estimate " << samples.back().second;
  EXPECT_LT(*since, Duration::seconds(5));
  EXPECT_GT(sim.bwe.loss_fraction(), 0.0);
}

TEST(BandwidthEstimator, HeavyLossCutsTheEstimateEvenWithoutQueueing) {
  Sim sim({.capacity_bps = 20'000'000});
  sim.run_until(Duration::seconds(3));
  const double before = sim.bwe.estimate_bps();
  sim.path.set_random_loss(0.30);
  sim.run_until(Duration::seconds(8));
  EXPECT_LT(sim.bwe.estimate_bps(), 0.5 * before);
  EXPECT_GT(sim.bwe.loss_fraction(), 0.2);
  sim.path.set_random_loss(0);  // and it grows back once the loss is gone
  const double low = sim.bwe.estimate_bps();
  sim.run_until(Duration::seconds(14));
  EXPECT_GT(sim.bwe.estimate_bps(), 2 * low);
}

TEST(BandwidthEstimator, AnEstimateTheSenderDoesNotUseStaysNearWhatItSends) {
  // An application-limited sender (one 300 kbit/s layer) on a fat link: the estimate may not
  // run off to the maximum on no evidence.
  BandwidthEstimator bwe({});
  BottleneckPath path({.capacity_bps = 50'000'000});
  Timestamp now = Timestamp::from_micros(1'000'000);
  std::uint16_t seq = 0;
  for (int ms = 0; ms < 10'000; ++ms) {
    now = now + Duration::millis(1);
    if (ms % 32 == 0) {  // 1200 bytes per 32 ms = 300 kbit/s
      bwe.on_packet_sent(seq, kPacket, now);
      path.send(seq++, kPacket, now);
    }
    for (const auto& f : path.poll(now)) bwe.on_feedback(f, now);
  }
  ASSERT_TRUE(bwe.acked_bps());
  EXPECT_NEAR(*bwe.acked_bps(), 300'000, 30'000);
  EXPECT_LE(bwe.estimate_bps(), 1.5 * *bwe.acked_bps() + 10'000 + 1);
}

TEST(SendHistory, MapsFeedbackAcrossTheWrapAndReportsEachPacketOnce) {
  SendHistory h;
  const Timestamp t0 = Timestamp::from_micros(5'000'000);
  for (int i = 0; i < 6; ++i)
    h.on_sent(static_cast<std::uint16_t>(65533 + i), 1000 + i, t0 + Duration::millis(i));
  rtp::TransportFeedback f;
  f.base_sequence = 65534;  // 65534, 65535, 0, 1
  f.reference_time = 10;
  f.packets = {{rtp::TwccStatus::kSmallDelta, 4},
               {rtp::TwccStatus::kNotReceived, 0},
               {rtp::TwccStatus::kLargeDelta, -2},
               {rtp::TwccStatus::kSmallDelta, 8}};
  auto r = h.on_feedback(f);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_EQ(r[0].size, 1001u);
  EXPECT_EQ(r[0].send_time, t0 + Duration::millis(1));
  EXPECT_TRUE(r[0].received);
  EXPECT_EQ(r[0].arrival.us(), 10 * 64'000 + 4 * 250);
  EXPECT_FALSE(r[1].received);
  EXPECT_EQ(r[2].size, 1003u);
  EXPECT_EQ(r[2].arrival.us(), 10 * 64'000 + 2 * 250);  // a negative delta: reordered arrival
  EXPECT_EQ(r[3].arrival.us(), 10 * 64'000 + 10 * 250);
  // The same feedback again: the lost one stays lost and is not counted twice; nothing new.
  EXPECT_TRUE(h.on_feedback(f).empty());
  // A late arrival of the packet reported lost is reported, once, as received.
  rtp::TransportFeedback late;
  late.base_sequence = 65535;
  late.reference_time = 11;
  late.packets = {{rtp::TwccStatus::kSmallDelta, 1}};
  r = h.on_feedback(late);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_TRUE(r[0].received);
  EXPECT_EQ(r[0].size, 1002u);
  // Numbers never sent are skipped and counted.
  rtp::TransportFeedback unknown;
  unknown.base_sequence = 100;
  unknown.packets = {{rtp::TwccStatus::kSmallDelta, 1}};
  EXPECT_TRUE(h.on_feedback(unknown).empty());
  EXPECT_EQ(h.unknown_reports(), 1u);
}

// The ring follows the rate: it grows only past packets no feedback has reported yet that are
// younger than kKeep, and what it held before growing is still found.
TEST(SendHistory, GrowsOnlyForUnreportedRecentPackets) {
  const Timestamp t0 = Timestamp::from_micros(5'000'000);
  SendHistory fast;
  EXPECT_EQ(fast.capacity(), SendHistory::kInitialCapacity);
  for (int i = 0; i < 300; ++i) fast.on_sent(static_cast<std::uint16_t>(i), 1000, t0 + Duration::millis(i));
  EXPECT_EQ(fast.capacity(), 2 * SendHistory::kInitialCapacity);
  rtp::TransportFeedback f;
  f.base_sequence = 0;
  f.reference_time = 1;
  f.packets = {{rtp::TwccStatus::kSmallDelta, 1}};
  ASSERT_EQ(fast.on_feedback(f).size(), 1u);  // the first packet survived the growth

  SendHistory reported;  // feedback keeps up: nothing to keep, no growth
  for (int i = 0; i < 2000; ++i) {
    reported.on_sent(static_cast<std::uint16_t>(i), 1000, t0 + Duration::millis(i));
    if (i % 100 == 99) {
      rtp::TransportFeedback batch;
      batch.base_sequence = static_cast<std::uint16_t>(i - 99);
      batch.reference_time = 1;
      batch.packets.assign(100, {rtp::TwccStatus::kSmallDelta, 1});
      ASSERT_EQ(reported.on_feedback(batch).size(), 100u);
    }
  }
  EXPECT_EQ(reported.capacity(), SendHistory::kInitialCapacity);

  SendHistory slow;  // 100 packets/s: each slot's packet is older than 2 s when it comes round
  for (int i = 0; i < 2000; ++i) slow.on_sent(static_cast<std::uint16_t>(i), 1000, t0 + Duration::millis(10 * i));
  EXPECT_EQ(slow.capacity(), SendHistory::kInitialCapacity);

  SendHistory flood;  // never past kCapacity
  for (int i = 0; i < 10000; ++i) flood.on_sent(static_cast<std::uint16_t>(i), 1000, t0 + Duration::micros(100 * i));
  EXPECT_EQ(flood.capacity(), SendHistory::kCapacity);
}

TEST(DelayTrend, SteadyDelayIsNormalAndAGrowingQueueIsOveruse) {
  DelayTrend steady, growing;
  std::vector<PacketResult> a, b;
  for (int i = 0; i < 400; ++i) {
    const Timestamp sent = Timestamp::from_micros(i * 2'000);
    a.push_back({sent, 1200, true, sent + Duration::millis(30)});
    // Each packet waits 0.5 ms longer than the one before: a queue filling at 25 % over capacity.
    b.push_back({sent, 1200, true, sent + Duration::millis(30) + Duration::micros(i * 500)});
  }
  steady.on_packets(a);
  growing.on_packets(b);
  EXPECT_EQ(steady.usage(), BandwidthUsage::kNormal);
  EXPECT_EQ(growing.usage(), BandwidthUsage::kOverusing);
  EXPECT_GT(growing.trend(), growing.threshold());
}

}  // namespace
}  // namespace peerkit::sfu
