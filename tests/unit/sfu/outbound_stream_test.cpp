// OutboundStream + write_egress (sfu/outbound_stream.h): one continuous stream per subscriber
// out of three simulcast layers, on a virtual clock.
#include "sfu/outbound_stream.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {
using test::SimPublisher;
using test::SubscriberView;

const Timestamp kStart = Timestamp::from_micros(5'000'000);
const Duration kFrame = Duration::micros(33'333);

struct Harness {
  rtp::ExtensionMap pub_map = test::publisher_map();
  SubscriberParams sub = test::subscriber();
  OutboundStream stream{OutboundStream::Config{90'000, 65530, 123, 32760, 254}};
  SubscriberView view;

  void offer(const IngressRef& p) {
    auto f = stream.forward(*p);
    if (!f) return;
    std::vector<std::byte> out(p->bytes.size() + kEgressGrowth);
    auto n = write_egress(*p, pub_map, sub, *f, out);
    ASSERT_TRUE(n) << rtp::to_string(n.error());
    view.receive(std::span(out).first(*n), sub);
  }
};

// Frames on all three layers; keyframes where `key(layer, frame)` says.
template <class KeyFn, class Hook>
void run(Harness& h, SimPublisher& pub, int frames, KeyFn key, Hook hook) {
  Timestamp now = kStart;
  for (int f = 0; f < frames; ++f) {
    hook(f);
    for (int layer = 0; layer < 3; ++layer)
      for (const auto& p : pub.frame(layer, now + Duration::micros(layer * 300), key(layer, f)))
        h.offer(p);
    now = now + kFrame;
  }
}

TEST(OutboundStream, SwitchUpAndDownAtKeyframesWithoutJumps) {
  Harness h;
  SimPublisher pub;
  h.stream.set_target_layer(0);
  // Keyframes: all at frame 0, layer 2 at 15, layer 1 at 40 (and never otherwise).
  auto key = [](int layer, int f) {
    return f == 0 || (layer == 2 && f == 15) || (layer == 1 && f == 40);
  };
  std::vector<int> layer_at_frame;
  run(h, pub, 60, key, [&](int f) {
    if (f == 10) h.stream.set_target_layer(2);
    if (f == 30) h.stream.set_target_layer(1);
    layer_at_frame.push_back(h.stream.current_layer().value_or(-1));
  });
  // Layer 0 until the layer-2 keyframe at 15, layer 2 until the layer-1 keyframe at 40.
  EXPECT_EQ(layer_at_frame[14], 0);
  EXPECT_EQ(layer_at_frame[16], 2);
  EXPECT_EQ(layer_at_frame[39], 2);
  EXPECT_EQ(layer_at_frame[41], 1);
  EXPECT_EQ(h.stream.stats().switches, 2u);
  // Layers are sent 0, 1, 2 within a frame: layer 0 frames 0–15 (its frame 15 precedes the
  // layer-2 keyframe), layer 2 frames 15–39, layer 1 frames 40–59; every packet continuous.
  EXPECT_EQ(h.view.packets, 16 * 1 + 25 * 3 + 20 * 2);
  EXPECT_EQ(h.view.seq_jumps, 0);
  EXPECT_EQ(h.view.ts_jumps, 0);
  EXPECT_EQ(h.view.pic_jumps, 0);
  EXPECT_EQ(h.view.tl0_jumps, 0);
  // The stream starts where the config says and wraps 16 bits (65530 + 130 packets).
  EXPECT_EQ(*h.view.last_seq, static_cast<std::uint16_t>(65530 + h.view.packets - 1));
  EXPECT_EQ(std::count(h.view.layers.begin(), h.view.layers.end(), 2), 25 * 3);
}

TEST(OutboundStream, TargetWithoutKeyframeNeverStallsCurrentLayer) {
  Harness h;
  SimPublisher pub;
  h.stream.set_target_layer(1);
  run(
      h, pub, 50, [](int layer, int f) { return f == 0 && layer != 2; },
      [&](int f) {
        if (f == 5) h.stream.set_target_layer(2);  // layer 2 never sends another keyframe
      });
  EXPECT_EQ(h.stream.current_layer(), 1);
  EXPECT_TRUE(h.stream.switch_pending());
  // Frame 0: layer 0's keyframe starts the stream, layer 1's upgrades it right away.
  EXPECT_EQ(h.view.packets, 1 + 50 * 2);
  EXPECT_EQ(h.stream.stats().switches, 1u);
  EXPECT_EQ(h.view.seq_jumps, 0);
}

TEST(OutboundStream, StartsOnALowerLayerKeyframeThenUpgrades) {
  Harness h;
  SimPublisher pub;
  h.stream.set_target_layer(2);
  // Only layer 0 has a keyframe at first; layer 2's comes at frame 8; layer 1's is ignored
  // once running (not the target).
  auto key = [](int layer, int f) { return (layer == 0 && f == 3) || (layer == 2 && f == 8); };
  run(h, pub, 12, key, [](int) {});
  EXPECT_EQ(h.stream.current_layer(), 2);
  EXPECT_EQ(h.view.packets, 6 * 1 + 4 * 3);  // layer 0 frames 3–8, layer 2 frames 8–11
  EXPECT_EQ(h.view.seq_jumps + h.view.ts_jumps + h.view.pic_jumps, 0);
}

TEST(OutboundStream, NothingBeforeTheFirstKeyframeAndNothingWhilePaused) {
  Harness h;
  SimPublisher pub;
  auto delta = pub.frame(0, kStart, false);
  EXPECT_EQ(h.stream.forward(*delta[0]).error(), Drop::kPaused);
  h.stream.set_target_layer(0);
  EXPECT_EQ(h.stream.forward(*pub.frame(0, kStart, false)[0]).error(), Drop::kWaitingForKeyframe);
  EXPECT_TRUE(h.stream.forward(*pub.frame(0, kStart, true)[0]));
  EXPECT_EQ(h.stream.forward(*pub.frame(1, kStart, true)[0]).error(), Drop::kNotSelected);
  h.stream.set_target_layer(std::nullopt);
  EXPECT_EQ(h.stream.forward(*pub.frame(0, kStart, true)[0]).error(), Drop::kPaused);
}

TEST(OutboundStream, IngressLossAndReorderingPassThroughWithoutShiftingTheStream) {
  Harness h;
  SimPublisher pub;
  h.stream.set_target_layer(2);
  std::mt19937 rng(7);
  Timestamp now = kStart;
  std::vector<IngressRef> ingress;
  for (int f = 0; f < 40; ++f, now = now + kFrame)
    for (const auto& p : pub.frame(2, now, f == 0)) ingress.push_back(p);
  // Keep the keyframe start first; shuffle within windows of 4 and lose every 9th packet.
  std::vector<IngressRef> wire;
  for (std::size_t i = 0; i < ingress.size(); ++i)
    if (i == 0 || i % 9 != 0) wire.push_back(ingress[i]);
  for (std::size_t i = 1; i + 4 <= wire.size(); i += 4)
    std::shuffle(wire.begin() + static_cast<long>(i), wire.begin() + static_cast<long>(i + 4), rng);
  std::vector<std::uint16_t> out_seqs;
  for (const auto& p : wire) {
    auto f = h.stream.forward(*p);
    ASSERT_TRUE(f);
    // Egress = ingress + one constant offset: loss stays a gap the subscriber can NACK, and
    // reordering stays reordering.
    EXPECT_EQ(std::uint16_t(f->sequence - p->sequence), std::uint16_t(65530 - 30000));
    EXPECT_EQ(f->timestamp - p->timestamp, 123u - 2'000'000'000u);
    out_seqs.push_back(f->sequence);
  }
  EXPECT_EQ(out_seqs.size(), wire.size());
}

TEST(OutboundStream, ReorderedPacketsOfTheOldLayerOrFromBeforeTheSwitchAreDropped) {
  Harness h;
  SimPublisher pub;
  h.stream.set_target_layer(0);
  auto f0 = pub.frame(0, kStart, true);
  auto f1 = pub.frame(1, kStart, false);  // a layer-1 packet sent before its keyframe
  ASSERT_TRUE(h.stream.forward(*f0[0]));
  h.stream.set_target_layer(1);
  auto k1 = pub.frame(1, kStart + kFrame, true);
  auto a = h.stream.forward(*k1[0]);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->sequence, std::uint16_t(65531));  // right after the one layer-0 packet
  EXPECT_EQ(h.stream.forward(*f1[1]).error(), Drop::kBeforeSwitch);
  EXPECT_EQ(h.stream.forward(*pub.frame(0, kStart + kFrame, false)[0]).error(), Drop::kNotSelected);
  auto b = h.stream.forward(*k1[1]);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->sequence, std::uint16_t(65532));
  // Timestamp: the arrival distance after the layer-0 packet (33 333 µs = 2 999 ticks, truncated).
  EXPECT_EQ(a->timestamp, 123u + 2999u);
}

TEST(OutboundStream, SevenBitPictureIdsStayContinuousAcrossTheirWrap) {
  OutboundStream s{OutboundStream::Config{90'000, 0, 0, 120, 0}};
  s.set_target_layer(0);
  IngressPacket p;
  p.payload_size = 10;
  p.has_picture_id = true;
  p.picture_id_15bit = false;
  std::uint16_t last = 0;
  for (int i = 0; i < 300; ++i) {
    p.keyframe = i == 0;
    p.sequence = static_cast<std::uint16_t>(i);
    p.picture_id = static_cast<std::uint16_t>((50 + i) & 0x7f);
    auto f = s.forward(p);
    ASSERT_TRUE(f);
    EXPECT_LE(f->picture_id, 0x7f);
    if (i > 0) {
      EXPECT_EQ(f->picture_id, (last + 1) & 0x7f) << i;
    }
    last = f->picture_id;
  }
  EXPECT_EQ(s.stats().forwarded, 300u);
}

TEST(EgressWriter, RewritesHeaderExtensionsAndVp8Fields) {
  SimPublisher pub;
  auto p = pub.frame(2, kStart, true)[0];
  auto sub = test::subscriber();
  EgressFields f{777, 424242, 0x1234, 9, std::uint16_t{0xabcd}};
  std::vector<std::byte> out(p->bytes.size() + kEgressGrowth);
  auto n = write_egress(*p, test::publisher_map(), sub, f, out);
  ASSERT_TRUE(n);
  auto v = rtp::parse_packet(std::span(out).first(*n));
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header.sequence, 777);
  EXPECT_EQ(v->header.timestamp, 424242u);
  EXPECT_EQ(v->header.ssrc, sub.ssrc);
  EXPECT_EQ(v->header.payload_type, 120);
  EXPECT_TRUE(v->header.marker == p->marker);
  EXPECT_EQ(as_string_view(*v->extensions.find(1)), "v7");  // subscriber's mid at its id
  EXPECT_FALSE(v->extensions.find(10));                     // rid dropped
  auto tw = v->extensions.find(5);
  ASSERT_TRUE(tw);
  EXPECT_EQ(std::to_integer<int>((*tw)[0]), 0xab);
  EXPECT_TRUE(v->extensions.find(7));  // abs-send-time under the subscriber's id
  EXPECT_FALSE(v->extensions.find(2));
  EXPECT_FALSE(v->extensions.find(3));
  auto d = rtp::parse_vp8(v->payload);
  ASSERT_TRUE(d);
  EXPECT_EQ(d->picture_id, 0x1234);
  EXPECT_EQ(d->tl0picidx, 9);
  EXPECT_TRUE(rtp::vp8_is_keyframe(v->payload));
  // Without a transport sequence the publisher's transport-cc value is not forwarded.
  f.transport_sequence.reset();
  n = write_egress(*p, test::publisher_map(), sub, f, out);
  ASSERT_TRUE(n);
  v = rtp::parse_packet(std::span(out).first(*n));
  EXPECT_FALSE(v->extensions.find(5));
  // Too small a buffer is an error, not a truncation.
  std::vector<std::byte> tiny(20);
  EXPECT_EQ(write_egress(*p, test::publisher_map(), sub, f, tiny).error(),
            rtp::Error::kBufferTooSmall);
}

TEST(IngressPacket, BadInputIsAnError) {
  std::vector<std::byte> junk(5, std::byte{0x80});
  EXPECT_FALSE(make_ingress(junk, kStart, 0, Codec::kVp8));
  // A VP8 packet whose descriptor promises a picture id that is missing.
  std::vector<std::byte> p{std::byte{0x80}, std::byte{96},  std::byte{0}, std::byte{1},
                           std::byte{0},    std::byte{0},   std::byte{0}, std::byte{1},
                           std::byte{0},    std::byte{0},   std::byte{0}, std::byte{1},
                           std::byte{0x90}, std::byte{0x80}};
  EXPECT_EQ(make_ingress(p, kStart, 0, Codec::kVp8).error(), rtp::Error::kTooShort);
  auto audio = make_ingress(p, kStart, 0, Codec::kOpus);
  ASSERT_TRUE(audio);
  EXPECT_TRUE((*audio)->keyframe);
}

}  // namespace
}  // namespace peerkit::sfu
