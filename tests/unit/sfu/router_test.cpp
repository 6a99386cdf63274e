// Router (sfu/router.h): publishers → subscribers with one shared ingress packet, per-subscriber
// layers, NACK → RTX and aggregated PLIs, joins and leaves. Virtual clock.
#include "sfu/router.h"

#include <gtest/gtest.h>

#include <map>
#include <variant>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

const ParticipantId kPub{1};
const ParticipantId kSubA{2};
const ParticipantId kSubB{3};

struct Room {
  ManualClock clock;
  Router router;
  test::SimPublisher pub;
  TrackId track;
  std::map<std::uint32_t, std::vector<std::vector<std::byte>>> rtp_to;  // by participant
  std::map<std::uint32_t, std::vector<rtp::RtcpPacket>> rtcp_to;

  Room() {
    track = *router.add_track(test::simulcast_track(kPub));
  }
  SubscriptionId join(ParticipantId who, std::uint32_t ssrc, int layer) {
    auto id = router.subscribe(who, track, test::subscriber(ssrc), layer,
                               OutboundStream::Config{90'000, 100, 0, 0, 0}, 500);
    EXPECT_TRUE(id);
    return *id;
  }
  void drain() {
    while (auto o = router.poll_output()) {
      if (o->rtcp) {
        auto p = rtp::parse_compound(o->bytes);
        ASSERT_TRUE(p);
        for (auto& x : *p) rtcp_to[o->to.value].push_back(x);
      } else {
        rtp_to[o->to.value].push_back(o->bytes);
      }
    }
  }
  // One frame per layer (keyframes where asked), 33 ms later each time.
  void frame(bool key0, bool key1, bool key2) {
    const bool key[] = {key0, key1, key2};
    for (int l = 0; l < 3; ++l)
      for (const auto& p : pub.frame(l, clock.now(), key[l]))
        router.handle_rtp(clock.now(), kPub, p->bytes);
    clock.advance(Duration::micros(33'333));
    router.handle_timeout(clock.now());
    drain();
  }
  int plis_for_ssrc(std::uint32_t ssrc) {
    int n = 0;
    for (const auto& p : rtcp_to[kPub.value])
      if (auto* pli = std::get_if<rtp::Pli>(&p); pli && pli->media_ssrc == ssrc) ++n;
    return n;
  }
  std::uint32_t ssrc_of(const std::vector<std::byte>& b) {
    return rtp::parse_packet(b)->header.ssrc;
  }
};

TEST(Router, TwoSubscribersTwoLayersFromOnePublisher) {
  Room r;
  r.join(kSubA, 0xA0, 2);
  r.join(kSubB, 0xB0, 0);
  r.frame(true, true, true);
  for (int i = 0; i < 9; ++i) r.frame(false, false, false);
  // A starts on layer 0's keyframe (the first one up to its target) and moves to layer 2 at
  // its keyframe in the same frame: 1 + 10 × 3 packets.
  ASSERT_EQ(r.rtp_to[kSubA.value].size(), 1u + 10u * 3);
  ASSERT_EQ(r.rtp_to[kSubB.value].size(), 10u * 1);
  for (const auto& p : r.rtp_to[kSubA.value]) EXPECT_EQ(r.ssrc_of(p), 0xA0u);
  for (const auto& p : r.rtp_to[kSubB.value]) EXPECT_EQ(r.ssrc_of(p), 0xB0u);
  EXPECT_EQ(r.router.stats().forwarded, 41u);
  EXPECT_EQ(r.router.stats().ingress, 60u);
  EXPECT_EQ(r.router.stats().ingress_dropped, 0u);
  // The ingress packets are shared, not copied: both histories hold references.
  EXPECT_EQ(r.router.history(SubscriptionId{1})->size(), 31u);
  EXPECT_EQ(r.router.history(SubscriptionId{2})->size(), 10u);
}

TEST(Router, NackFromOneSubscriberIsAnsweredWithRtxToItOnly) {
  Room r;
  r.join(kSubA, 0xA0, 2);
  r.join(kSubB, 0xB0, 2);
  r.frame(true, true, true);
  r.frame(false, false, false);
  const auto before_b = r.rtp_to[kSubB.value].size();
  std::array<rtp::RtcpPacket, 1> nack{
      rtp::GenericNack{0xA0 + 99, 0xA0, rtp::nack_items(std::vector<std::uint16_t>{101, 103})}};
  std::array<std::byte, 64> buf{};
  auto n = rtp::build_compound(nack, buf);
  ASSERT_TRUE(n);
  r.router.handle_rtcp(r.clock.now(), kSubA, std::span(buf).first(*n));
  r.drain();
  const auto& a = r.rtp_to[kSubA.value];
  ASSERT_EQ(a.size(), 1u + 6u + 2u);  // seq 100 (layer 0), 101–106 (layer 2), then 2 RTX
  EXPECT_EQ(r.ssrc_of(a[7]), 0xA1u);  // the RTX SSRC of subscriber A
  EXPECT_EQ(r.ssrc_of(a[8]), 0xA1u);
  EXPECT_EQ(r.rtp_to[kSubB.value].size(), before_b);
  EXPECT_EQ(r.router.stats().rtx_sent, 2u);
}

std::optional<std::uint16_t> transport_seq(const std::vector<std::byte>& b, std::uint8_t id) {
  auto v = rtp::parse_packet(b);
  if (!v) return std::nullopt;
  auto data = v->extensions.find(id);
  if (!data) return std::nullopt;
  auto seq = rtp::parse_transport_cc(*data);
  return seq ? std::optional<std::uint16_t>(*seq) : std::nullopt;
}

TEST(Router, TransportWideCcIsPerConnectionFeedsItsEstimateAndRtxTakesAFreshNumber) {
  Room r;
  r.join(kSubA, 0xA0, 2);
  r.frame(true, true, true);
  r.frame(false, false, false);
  const auto& a = r.rtp_to[kSubA.value];
  ASSERT_EQ(a.size(), 7u);
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_EQ(transport_seq(a[i], 5), std::optional<std::uint16_t>(i)) << i;  // the subscriber's id 5
  ASSERT_NE(r.router.bandwidth(kSubA), nullptr);
  EXPECT_EQ(r.router.bandwidth(kPub), nullptr);  // it subscribes to nothing

  // A NACK: the RTX packet is a new packet on the wire, so it gets the next number.
  std::array<rtp::RtcpPacket, 1> nack{
      rtp::GenericNack{0xA0 + 99, 0xA0, rtp::nack_items(std::vector<std::uint16_t>{102})}};
  std::array<std::byte, 64> buf{};
  auto n = rtp::build_compound(nack, buf);
  ASSERT_TRUE(n);
  r.router.handle_rtcp(r.clock.now(), kSubA, std::span(buf).first(*n));
  r.drain();
  ASSERT_EQ(a.size(), 8u);
  EXPECT_EQ(r.ssrc_of(a[7]), 0xA1u);
  EXPECT_EQ(transport_seq(a[7], 5), std::optional<std::uint16_t>(7));

  // Feedback for all eight reaches A's estimate; the same from a participant the router never
  // stamped a packet for is ignored.
  rtp::TransportFeedback f;
  f.sender_ssrc = 0xA0 + 99;
  f.base_sequence = 0;
  f.reference_time = 100;
  for (int i = 0; i < 8; ++i) f.packets.push_back({rtp::TwccStatus::kSmallDelta, 4});
  std::array<rtp::RtcpPacket, 1> fb{f};
  std::array<std::byte, 128> fbuf{};
  auto m = rtp::build_compound(fb, fbuf);
  ASSERT_TRUE(m);
  r.router.handle_rtcp(r.clock.now(), kPub, std::span(fbuf).first(*m));
  r.router.handle_rtcp(r.clock.now(), kSubA, std::span(fbuf).first(*m));
  EXPECT_EQ(r.router.bandwidth(kSubA)->reported(), 8u);
  EXPECT_EQ(r.router.bandwidth(kSubA)->unknown_reports(), 0u);
  EXPECT_EQ(r.router.bandwidth(kPub), nullptr);
  r.router.remove_participant(kSubA);
  EXPECT_EQ(r.router.bandwidth(kSubA), nullptr);
}

TEST(Router, PlisFromManySubscribersReachThePublisherOncePerWindow) {
  Room r;
  std::vector<SubscriptionId> subs;
  for (std::uint32_t i = 0; i < 20; ++i)
    subs.push_back(r.join(ParticipantId{10 + i}, 0x100 + 2 * i, 2));
  r.frame(true, true, true);  // every subscriber starts; the layers' SSRCs are known now
  const int before = r.plis_for_ssrc(0x3333);
  // All 20 send a PLI every frame for one second (30 frames): at most 2 leave (0 and 500 ms).
  for (int f = 0; f < 30; ++f) {
    for (std::uint32_t i = 0; i < 20; ++i) {
      std::array<rtp::RtcpPacket, 1> pli{rtp::Pli{1, 0x100 + 2 * i}};
      std::array<std::byte, 32> buf{};
      auto n = rtp::build_compound(pli, buf);
      r.router.handle_rtcp(r.clock.now(), ParticipantId{10 + i}, std::span(buf).first(*n));
    }
    r.frame(false, false, false);
  }
  const int plis = r.plis_for_ssrc(0x3333) - before;
  EXPECT_GE(plis, 2);
  EXPECT_LE(plis, 3);
  EXPECT_EQ(r.plis_for_ssrc(0x1111) + r.plis_for_ssrc(0x2222), 0);
}

TEST(Router, SetLayerAsksForTheTargetKeyframeAndSwitchesOnIt) {
  Room r;
  auto a = r.join(kSubA, 0xA0, 0);
  r.frame(true, true, true);
  r.frame(false, false, false);
  r.clock.advance(Duration::seconds(1));
  r.router.set_layer(a, 2);
  r.frame(false, false, false);
  EXPECT_EQ(r.plis_for_ssrc(0x3333), 1);  // asked for layer 2's keyframe
  EXPECT_EQ(r.router.stream(a)->current_layer(), 0);
  r.frame(false, false, true);
  EXPECT_EQ(r.router.stream(a)->current_layer(), 2);
  // Contiguous sequence numbers across the switch.
  const auto& got = r.rtp_to[kSubA.value];
  for (std::size_t i = 1; i < got.size(); ++i)
    EXPECT_EQ(std::uint16_t(rtp::parse_packet(got[i])->header.sequence -
                            rtp::parse_packet(got[i - 1])->header.sequence),
              1);
}

TEST(Router, LeavesRemoveTracksSubscriptionsAndUnknownTrafficIsDropped) {
  Room r;
  r.join(kSubA, 0xA0, 1);
  r.frame(true, true, true);
  EXPECT_EQ(r.router.subscription_count(), 1u);
  r.router.remove_participant(kSubA);
  EXPECT_EQ(r.router.subscription_count(), 0u);
  r.join(kSubB, 0xB0, 1);
  r.router.remove_participant(kPub);
  EXPECT_EQ(r.router.track_count(), 0u);
  EXPECT_EQ(r.router.subscription_count(), 0u);
  const auto dropped = r.router.stats().ingress_dropped;
  r.frame(true, true, true);  // the publisher's packets now match no track
  EXPECT_EQ(r.router.stats().ingress_dropped, dropped + 6);
  std::vector<std::byte> junk(3, std::byte{0x80});
  r.router.handle_rtp(r.clock.now(), kPub, junk);
  r.router.handle_rtcp(r.clock.now(), kPub, junk);
  EXPECT_EQ(r.router.stats().rtcp_dropped, 1u);
  EXPECT_FALSE(r.router.subscribe(kSubA, TrackId{99}, test::subscriber(), 0, {}, 0));
}

TEST(Router, APendingLayerWithoutSsrcDoesNotWakeTheTimerAndSsrcsMustBeDistinct) {
  Room r;
  r.join(kSubA, 0xA0, 2);  // layer 2 has not sent: its PLI has nobody to go to yet
  r.router.handle_timeout(r.clock.now());
  // Only the once-a-second housekeeping is due, not a busy loop on the unaddressable PLI.
  EXPECT_EQ(r.router.next_timeout(), r.clock.now() + Duration::seconds(1));
  r.drain();
  EXPECT_TRUE(r.rtcp_to[kPub.value].empty());
  // 0xA1 is A's RTX SSRC already; B may use it (another connection), A may not.
  EXPECT_FALSE(r.router.subscribe(kSubA, r.track, test::subscriber(0xA1), 0, {}, 0));
  EXPECT_TRUE(r.router.subscribe(kSubB, r.track, test::subscriber(0xA1), 0, {}, 0));
}

TEST(Router, AudioIsForwardedFromTheFirstPacketAndNeverAsksForKeyframes) {
  Room r;
  TrackParams t;
  t.publisher = kPub;
  t.codec = Codec::kOpus;
  t.clock_rate = 48'000;
  t.mid = "1";
  t.extensions = test::publisher_map();
  auto audio = r.router.add_track(std::move(t));
  ASSERT_TRUE(audio);
  auto sub = r.router.subscribe(kSubA, *audio, test::subscriber(0xC0), 0,
                                OutboundStream::Config{0, 9, 90, 0, 0}, 1);
  ASSERT_TRUE(sub);
  std::array<std::byte, 20> opus{};
  std::array<rtp::Extension, 1> mid{{{4, as_bytes("1")}}};
  for (int i = 0; i < 50; ++i) {  // 1 s of 20 ms frames
    rtp::PacketBuild b;
    b.header.payload_type = 111;
    b.header.sequence = static_cast<std::uint16_t>(7000 + i);
    b.header.timestamp = 960u * static_cast<std::uint32_t>(i);
    b.header.ssrc = 0xAAAA;
    b.extensions = mid;
    b.payload = opus;
    std::array<std::byte, 100> buf{};
    auto n = rtp::build_packet(b, buf);
    ASSERT_TRUE(n);
    r.router.handle_rtp(r.clock.now(), kPub, std::span(buf).first(*n));
    r.clock.advance(Duration::millis(20));
  }
  r.router.handle_timeout(r.clock.now());
  r.drain();
  const auto& got = r.rtp_to[kSubA.value];
  ASSERT_EQ(got.size(), 50u);
  auto first = rtp::parse_packet(got.front());
  auto last = rtp::parse_packet(got.back());
  EXPECT_EQ(first->header.sequence, 9);
  EXPECT_EQ(first->header.timestamp, 90u);
  EXPECT_EQ(last->header.sequence, 9 + 49);
  EXPECT_EQ(last->header.timestamp, 90u + 49u * 960u);
  for (const auto& p : r.rtcp_to[kPub.value])  // receiver reports only
    EXPECT_TRUE(std::holds_alternative<rtp::ReceiverReport>(p)) << p.index();
  // Audio history: 1 s. The router's once-a-second housekeeping releases what is older.
  EXPECT_EQ(r.router.history(*sub)->size(), 50u);  // at 2.0 s the first (1.0 s) is 1 s old
  EXPECT_LE(r.router.next_timeout(), r.clock.now() + Duration::seconds(1));
  r.clock.advance(Duration::seconds(1));
  r.router.handle_timeout(r.clock.now());
  EXPECT_EQ(r.router.history(*sub)->size(), 0u);
  EXPECT_EQ(r.router.history(*sub)->config().max_age, Duration::seconds(1));
}

}  // namespace
}  // namespace peerkit::sfu

namespace peerkit::sfu {
namespace {

TEST(Router, APublishersRtxPacketsAreNeverTakenForItsMedia) {
  // Without simulcast Chrome's RTX packets carry the mid and no repaired-rid: only the payload
  // type tells them apart. Bound as the layer's SSRC, they would reach subscribers as VP8.
  ManualClock clock;
  Router router;
  TrackParams t = test::simulcast_track(kPub);
  t.rids.clear();
  t.rtx_payload_type = 97;
  auto track = router.add_track(std::move(t));
  ASSERT_TRUE(track);
  ASSERT_TRUE(router.subscribe(kSubA, *track, test::subscriber(0xA0), 0,
                               OutboundStream::Config{90'000, 100, 0, 0, 0}, 500));
  test::SimPublisher pub;
  auto send_frame = [&](bool key) {
    for (const auto& p : pub.frame(0, clock.now(), key)) router.handle_rtp(clock.now(), kPub, p->bytes);
    clock.advance(Duration::millis(33));
  };
  auto forwarded_seqs = [&] {
    std::vector<std::uint16_t> seqs;
    while (auto o = router.poll_output())
      if (!o->rtcp && o->to == kSubA) {
        auto v = rtp::parse_packet(o->bytes);
        EXPECT_EQ(v->header.ssrc, 0xA0u);
        EXPECT_EQ(v->header.payload_type, 120);
        seqs.push_back(v->header.sequence);
      }
    return seqs;
  };
  send_frame(true);
  EXPECT_EQ(forwarded_seqs().size(), 1u);
  // An RTX packet (PT 97, its own SSRC, the same mid) — a retransmission or a padding probe.
  std::array<rtp::Extension, 1> ext{{{4, as_bytes("0")}}};
  std::array<std::byte, 12> payload{};
  rtp::PacketBuild rtx;
  rtx.header.payload_type = 97;
  rtx.header.sequence = 9;
  rtx.header.ssrc = 0x9999;
  rtx.extensions = ext;
  rtx.payload = payload;
  std::vector<std::byte> buf(200);
  auto n = rtp::build_packet(rtx, buf);
  ASSERT_TRUE(n);
  const auto dropped = router.stats().ingress_dropped;
  router.handle_rtp(clock.now(), kPub, std::span(buf).first(*n));
  EXPECT_EQ(router.stats().rtx_unrequested, 1u);  // known as RTX, and nothing was missing
  EXPECT_EQ(router.stats().ingress_dropped, dropped);
  EXPECT_TRUE(forwarded_seqs().empty());
  // The media SSRC is still the layer's: the next frames flow on, numbered without a gap.
  send_frame(false);
  send_frame(false);
  EXPECT_EQ(forwarded_seqs(), (std::vector<std::uint16_t>{101, 102}));
}

// A subscription dropped while its packets wait in the connection's pacer: what waited is not
// sent afterwards (the subscriber has already removed the SSRC from its session), and the
// pacer empties, so the connection's timer stops asking for it.
TEST(Router, PacketsQueuedInThePacerForAnUnsubscribedStreamAreNotSent) {
  Room r;
  r.pub = test::SimPublisher({1100, 5500, 33000});  // f: 30 packets a frame
  const auto sub = r.join(kSubA, 0xA0, 2);
  r.frame(true, true, true);
  const auto& a = r.rtp_to[kSubA.value];
  const std::size_t first = a.size();
  ASSERT_GE(first, 30u);  // the keyframe at once: no feedback yet, no estimate to pace at

  // Feedback for them: the connection is paced from now on (at 2.5 × its start estimate).
  rtp::TransportFeedback f;
  f.sender_ssrc = 0xA0 + 99;
  f.base_sequence = 0;
  f.reference_time = 100;
  for (std::size_t i = 0; i < first; ++i) f.packets.push_back({rtp::TwccStatus::kSmallDelta, 4});
  std::array<rtp::RtcpPacket, 1> fb{f};
  std::array<std::byte, 256> fbuf{};
  auto m = rtp::build_compound(fb, fbuf);
  ASSERT_TRUE(m);
  r.router.handle_rtcp(r.clock.now(), kSubA, std::span(fbuf).first(*m));
  ASSERT_GT(r.router.bandwidth(kSubA)->reported(), 0u);

  // The next frame's burst is more than the pacing budget: most of it waits.
  const auto paced_before = r.router.stats().paced;
  for (const auto& p : r.pub.frame(2, r.clock.now(), false)) r.router.handle_rtp(r.clock.now(), kPub, p->bytes);
  r.drain();
  const std::size_t sent_at_once = a.size() - first;
  ASSERT_LT(sent_at_once, 30u);
  ASSERT_GT(r.router.stats().paced, paced_before);
  EXPECT_LT(r.router.next_timeout(), r.clock.now() + Duration::millis(100)) << "a release is due";

  r.router.unsubscribe(sub);
  for (int i = 0; i < 100; ++i) {  // a second: the queue would have drained in it
    r.clock.advance(Duration::millis(10));
    r.router.handle_timeout(r.clock.now());
  }
  r.drain();
  EXPECT_EQ(a.size(), first + sent_at_once) << "nothing of the dropped stream left the pacer";
  EXPECT_GT(r.router.next_timeout(), r.clock.now() + Duration::millis(100))
      << "an empty pacer does not keep the timer awake";
}

}  // namespace
}  // namespace peerkit::sfu
