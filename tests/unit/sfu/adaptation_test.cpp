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
#include "rtp/vp8.h"
#include "sfu/layer_allocator.h"
#include "sfu/router.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

const ParticipantId kPub{1}, kSub{2};

// A publisher whose layers have real bitrates at 30 frames/s.
class SizedPublisher {
 public:
  static constexpr std::array<int, 3> kFrameBytes{625, 2083, 6250};  // 150 k, 500 k, 1.5 M
  static constexpr std::array<std::uint32_t, 3> kSsrc{0x1111, 0x2222, 0x3333};

  std::vector<IngressRef> frame(int layer, Timestamp now) {
    std::vector<IngressRef> out;
    const int packets = (kFrameBytes[layer] + 1099) / 1100;
    const bool key = keyframe_due[layer];
    keyframe_due[layer] = false;
    for (int i = 0; i < packets; ++i) {
      rtp::Vp8Descriptor d;
      d.extended = true;
      d.start_of_partition = i == 0;
      d.has_picture_id = true;
      d.picture_id_15bit = true;
      d.picture_id = pic_[layer];
      std::array<std::byte, 8> desc{};
      auto n = rtp::write_vp8_descriptor(d, desc);
      std::vector<std::byte> payload(desc.begin(), desc.begin() + static_cast<long>(*n));
      payload.push_back(std::byte(key && i == 0 ? 0x10 : 0x11));
      payload.resize(static_cast<std::size_t>(kFrameBytes[layer] / packets), std::byte{0x55});
      const std::string rid(1, "qhf"[layer]);
      const std::array<rtp::Extension, 2> ext{{{4, as_bytes("0")}, {10, as_bytes(rid)}}};
      rtp::PacketBuild b;
      b.header.payload_type = 96;
      b.header.sequence = seq_[layer]++;
      b.header.timestamp = ts_[layer];
      b.header.ssrc = kSsrc[layer];
      b.header.marker = i + 1 == packets;
      b.extensions = ext;
      b.payload = payload;
      std::vector<std::byte> buf(1500);
      auto size = rtp::build_packet(b, buf);
      EXPECT_TRUE(size);
      buf.resize(*size);
      auto in = make_ingress(buf, now, layer, Codec::kVp8);
      EXPECT_TRUE(in);
      out.push_back(*in);
    }
    ts_[layer] += 3000;
    pic_[layer] = static_cast<std::uint16_t>((pic_[layer] + 1) & 0x7fff);
    return out;
  }
  void on_pli(std::uint32_t ssrc) {
    for (int l = 0; l < 3; ++l)
      if (kSsrc[l] == ssrc) keyframe_due[l] = true;
  }
  std::array<bool, 3> keyframe_due{true, true, true};

 private:
  std::array<std::uint16_t, 3> seq_{1, 1000, 2000};
  std::array<std::uint32_t, 3> ts_{0, 0, 0};
  std::array<std::uint16_t, 3> pic_{1, 1, 1};
};

struct Call {
  explicit Call(Duration one_way) : path({.capacity_bps = 3'000'000, .one_way = one_way}) {
    TrackParams t;
    t.publisher = kPub;
    t.mid = "0";
    t.rids = {"q", "h", "f"};
    t.extensions = test::publisher_map();
    track = *router.add_track(std::move(t));
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
  // Already on the middle: keeping it costs its rate only.
  d[1].current = d[2].current = 1;
  p = allocate_layers(1'100'000, d);
  EXPECT_EQ(p.layers[1], 1);
  EXPECT_EQ(p.layers[2], 1);
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
