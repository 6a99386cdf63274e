// The router's layer choice from a subscriber's bandwidth estimate, end to end on a virtual
// clock: a three-layer VP8 publisher (150 k / 500 k / 1.5 Mbit/s), the router, and a
// subscriber behind a simulated bottleneck that reports transport-wide CC feedback. The shape
// of target T13: the subscriber drops to the layer that fits a 1 Mbit/s cap and climbs back
// to the top after the cap lifts. Also the layer allocator on its own.
#include <gtest/gtest.h>

#include <deque>
#include <variant>

#include "bottleneck_path.h"
#include "rtp/extension_values.h"
#include "rtp/rtcp.h"
#include "sfu/layer_allocator.h"
#include "sfu/router.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

const ParticipantId kPub{1}, kSub{2};

// A publisher whose layers have real bitrates at 30 frames/s (150 k, 500 k, 1.5 Mbit/s), and
// sends a keyframe of a layer when a PLI names it.
struct SizedPublisher {
  std::vector<IngressRef> frame(int layer, Timestamp now) {
    const bool key = keyframe_due[static_cast<std::size_t>(layer)];
    keyframe_due[static_cast<std::size_t>(layer)] = false;
    return sim.frame(layer, now, key);
  }
  void on_pli(std::uint32_t ssrc) {
    for (std::size_t l = 0; l < 3; ++l)
      if (test::SimPublisher::kSsrcs[l] == ssrc) keyframe_due[l] = true;
  }
  test::SimPublisher sim{{625, 2083, 6250}};
  std::array<bool, 3> keyframe_due{true, true, true};
};

struct Call {
  explicit Call(Duration one_way) : path({.capacity_bps = 3'000'000, .one_way = one_way}) {
    track = *router.add_track(test::simulcast_track(kPub));
    sub = *router.subscribe(kSub, track, test::subscriber(0xA0), 2,
                            OutboundStream::Config{90'000, 100, 0, 0, 0}, 500);
  }
  // Runs to `end` (since the start) in 1 ms steps; samples the layer A receives every 100 ms.
  void run_until(Duration end) {
    while (now - start < end) {
      now = now + Duration::millis(1);
      // The publisher paces as Chrome does (its pacer runs at 2.5 × the rate, a packet per ms
      // or so), so frames reach the SFU spread out, not as one burst.
      if ((now - start).us() % 33'000 == 0)
        for (int l = 0; l < 3; ++l)
          for (auto& p : pub.frame(l, now)) paced.push_back(std::move(p));
      if (!paced.empty()) {
        router.handle_rtp(now, kPub, paced.front()->bytes);
        paced.pop_front();
      }
      if (router.next_timeout() <= now) router.handle_timeout(now);
      while (auto o = router.poll_output()) {
        if (o->to == kPub && o->rtcp) {
          auto c = rtp::parse_compound(o->bytes);
          ASSERT_TRUE(c);
          for (const auto& p : *c)
            if (auto* pli = std::get_if<rtp::Pli>(&p)) pub.on_pli(pli->media_ssrc);
        } else if (o->to == kSub && !o->rtcp) {
          auto v = rtp::parse_packet(o->bytes);
          ASSERT_TRUE(v);
          auto tw = v->extensions.find(5);
          ASSERT_TRUE(tw);
          path.send(*rtp::parse_transport_cc(*tw), o->bytes.size(), now);
        }
      }
      for (auto& f : path.poll(now)) {
        std::array<rtp::RtcpPacket, 1> fb{std::move(f)};
        std::vector<std::byte> buf(8192);
        auto n = rtp::build_compound(fb, buf);
        ASSERT_TRUE(n);
        router.handle_rtcp(now, kSub, std::span(buf).first(*n));
      }
      if ((now - start).us() % 100'000 == 0) {
        const auto layer = router.stream(sub)->current_layer();
        layers.emplace_back(now - start, layer ? *layer : -1);
      }
    }
  }
  // The first time from which the layer stayed `layer` to the end of the samples after `from`.
  std::optional<Duration> settled_on(int layer, Duration from) const {
    std::optional<Duration> since;
    for (const auto& [t, l] : layers) {
      if (t < from) continue;
      if (l == layer) {
        if (!since) since = t;
      } else {
        since.reset();
      }
    }
    return since;
  }

  Router router;
  SizedPublisher pub;
  std::deque<IngressRef> paced;
  test::BottleneckPath path;
  TrackId track;
  SubscriptionId sub;
  Timestamp start = Timestamp::from_micros(1'000'000);
  Timestamp now = start;
  std::vector<std::pair<Duration, int>> layers;
};

TEST(Adaptation, TheSubscriberFollowsACapDownAndClimbsBackAfterItLifts) {
  for (int one_way_ms : {20, 50}) {  // 40 ms and T13's 100 ms round trip
    SCOPED_TRACE(one_way_ms);
    Call call(Duration::millis(one_way_ms));
    call.run_until(Duration::seconds(10));
    auto top = call.settled_on(2, Duration::seconds(0));
    ASSERT_TRUE(top) << "estimate " << call.router.bandwidth(kSub)->estimate_bps();
    EXPECT_LT(*top, Duration::seconds(8));
    EXPECT_GT(call.router.stats().padding_packets, 0u);  // it probed its way up
    EXPECT_GT(call.router.stats().paced, 0u);  // frames left at the pacing rate, not as bursts
    EXPECT_EQ(call.router.stats().pacer_drops, 0u);

    call.path.set_capacity(1'000'000);  // T13: 1 Mbit/s
    call.run_until(Duration::seconds(25));
    auto middle = call.settled_on(1, Duration::seconds(10));
    ASSERT_TRUE(middle) << "estimate " << call.router.bandwidth(kSub)->estimate_bps();
    EXPECT_LT(*middle - Duration::seconds(10), Duration::seconds(5));

    call.path.set_capacity(3'000'000);
    call.run_until(Duration::seconds(40));
    auto back = call.settled_on(2, Duration::seconds(25));
    ASSERT_TRUE(back) << "estimate " << call.router.bandwidth(kSub)->estimate_bps();
    EXPECT_LT(*back - Duration::seconds(25), Duration::seconds(10));
    // Decoder continuity across all those switches is OutboundStream's (outbound_stream_test).
    EXPECT_GE(call.router.stats().layer_changes, 3u);
  }
}

TEST(LayerAllocator, EveryoneAtTheBottomFirstThenRoundRobinUpgradesWithHeadroom) {
  const std::array<double, kMaxLayers> video{150'000, 500'000, 1'500'000};
  std::vector<LayerDemand> d(3);
  d[0] = {true, 0, 0, {40'000, 0, 0}};  // audio: always, counted first
  d[1] = {false, 2, 0, video};
  d[2] = {false, 2, 0, video};
  // 40 k + 2 × 150 k = 340 k; an upgrade to 500 k costs 575 k (headroom) − 150 k = 425 k.
  auto p = allocate_layers(700'000, d);
  EXPECT_EQ(p.layers[1], 0);
  EXPECT_EQ(p.layers[2], 0);
  ASSERT_TRUE(p.blocked_upgrade_bps);
  EXPECT_NEAR(*p.blocked_upgrade_bps, 340'000 + 425'000, 1);
  p = allocate_layers(1'300'000, d);  // both to the middle (340 k + 2 × 425 k = 1.19 M)
  EXPECT_EQ(p.layers[1], 1);
  EXPECT_EQ(p.layers[2], 1);
  // Already on the middle: keeping it costs kHoldShare of its rate, so one delay-based cut
  // (0.85 × what got through, while the layer was flowing) does not take it away. 40 k + 2 ×
  // 0.8 × 500 k = 840 k holds both; 700 k holds one (40 k + 150 k + 400 k = 590 k; the
  // second would need 250 k more).
  d[1].current = d[2].current = 1;
  p = allocate_layers(1'100'000, d);
  EXPECT_EQ(p.layers[1], 1);
  EXPECT_EQ(p.layers[2], 1);
  p = allocate_layers(850'000, d);
  EXPECT_EQ(p.layers[1], 1);
  EXPECT_EQ(p.layers[2], 1);
  p = allocate_layers(700'000, d);
  EXPECT_EQ(p.layers[1], 1);
  EXPECT_EQ(p.layers[2], 0);
  d[2].current = 0;
  p = allocate_layers(850'000, d);  // back up costs the headroom again: 40 k + 400 k + 575 k
  EXPECT_EQ(p.layers[2], 0);
  // Below everything's lowest layer: the lowest anyway (a frozen tile is worse).
  p = allocate_layers(10'000, d);
  EXPECT_EQ(p.layers[1], 0);
  EXPECT_EQ(p.layers[2], 0);
}

TEST(LayerAllocator, PausedAndSilentLayersAndThePreferenceAreRespected) {
  std::vector<LayerDemand> d(3);
  d[0] = {false, std::nullopt, 2, {150'000, 500'000, 1'500'000}};  // the client paused it
  d[1] = {false, 1, 0, {150'000, 500'000, 1'500'000}};             // wants the middle at most
  d[2] = {false, 2, 0, {0, 500'000, 0}};                           // only the middle sends
  auto p = allocate_layers(50'000'000, d);
  EXPECT_EQ(p.layers[0], std::nullopt);
  EXPECT_EQ(p.layers[1], 1);
  EXPECT_EQ(p.layers[2], 1);
  EXPECT_FALSE(p.blocked_upgrade_bps);
  d[2].rate_bps = {0, 0, 0};  // nothing sends yet: aim at what was asked
  p = allocate_layers(50'000'000, d);
  EXPECT_EQ(p.layers[2], 2);
}

}  // namespace
}  // namespace peerkit::sfu
