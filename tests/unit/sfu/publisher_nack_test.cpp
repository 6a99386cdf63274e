// NACK and RTX on the publisher leg: the Router asking a publisher for a lost packet
// (rtp::MissingPackets, tested in tests/unit/rtp/missing_packets_test.cpp) and forwarding the
// retransmission as the original. Virtual clock.
#include <gtest/gtest.h>

#include <map>
#include <variant>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/missing_packets.h"
#include "sfu/router.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

const Timestamp kT0 = Timestamp::from_micros(5'000'000);

// A publisher whose layer 2 (SSRC 0x3333) loses a packet; its RTX stream is SSRC 0x3334
// (PT 97, repaired-rid "f").
struct RepairRoom {
  ManualClock clock{kT0};
  Router router;
  test::SimPublisher pub;
  TrackId track;
  std::vector<std::vector<std::byte>> to_sub;
  std::vector<rtp::GenericNack> nacks_to_pub;
  std::uint16_t rtx_seq = 900;

  explicit RepairRoom(bool nack = true) {
    TrackParams t = test::simulcast_track(ParticipantId{1});
    (void)t.extensions.add(11, rtp::ExtensionKind::kRepairedRid);
    t.rtx_payload_type = 97;
    t.nack = nack;
    track = *router.add_track(std::move(t));
    EXPECT_TRUE(router.subscribe(ParticipantId{2}, track, test::subscriber(0xA0), 2,
                                 OutboundStream::Config{90'000, 100, 0, 0, 0}, 500));
  }
  void drain() {
    while (auto o = router.poll_output()) {
      if (!o->rtcp && o->to.value == 2) to_sub.push_back(o->bytes);
      if (o->rtcp && o->to.value == 1) {
        auto packets = rtp::parse_compound(o->bytes);  // kept: the loop must not outlive it
        ASSERT_TRUE(packets);
        for (auto& p : *packets)
          if (auto* n = std::get_if<rtp::GenericNack>(&p)) nacks_to_pub.push_back(*n);
      }
    }
  }
  // Layer 2's frame, with packet `drop` (if any) lost on the way; returns its packets.
  std::vector<IngressRef> frame(bool key, int drop = -1) {
    auto packets = pub.frame(2, clock.now(), key);
    for (int i = 0; i < static_cast<int>(packets.size()); ++i)
      if (i != drop) router.handle_rtp(clock.now(), ParticipantId{1}, packets[i]->bytes);
    router.handle_timeout(clock.now());
    drain();
    return packets;
  }
  // As a driver does: the timer fires at every next_timeout() on the way.
  void advance(Duration d) {
    const Timestamp until = clock.now() + d;
    for (int guard = 0; router.next_timeout() <= until; ++guard) {
      ASSERT_LT(guard, 10'000) << "the timer does not move on from " << router.next_timeout().us();
      clock.set(std::max(clock.now(), router.next_timeout()));
      router.handle_timeout(clock.now());
      drain();
    }
    clock.set(until);
    router.handle_timeout(clock.now());
    drain();
  }
  // The publisher's RTX packet for `original` (RFC 4588 §4: OSN, then the original payload).
  void retransmit(const IngressRef& original, bool padding_only = false) {
    auto v = rtp::parse_packet(original->bytes);
    std::vector<std::byte> payload{std::byte(v->header.sequence >> 8), std::byte(v->header.sequence & 0xff)};
    payload.insert(payload.end(), v->payload.begin(), v->payload.end());
    std::array<rtp::Extension, 2> ext{{{4, as_bytes("0")}, {11, as_bytes("f")}}};
    rtp::PacketBuild b;
    b.header = v->header;
    b.header.ssrc = 0x3334;
    b.header.payload_type = 97;
    b.header.sequence = rtx_seq++;
    b.extensions = ext;
    b.payload = padding_only ? ByteSpan() : ByteSpan(payload);
    b.padding = padding_only ? 200 : 0;
    std::vector<std::byte> buf(1500);
    buf.resize(*rtp::build_packet(b, buf));
    router.handle_rtp(clock.now(), ParticipantId{1}, buf);
    router.handle_timeout(clock.now());
    drain();
  }
};

TEST(PublisherRepair, ALostPacketIsNackedAndItsRetransmissionForwardedAsTheOriginal) {
  RepairRoom r;
  r.frame(true);
  r.advance(Duration::micros(33'333));
  auto lost = r.frame(false, 1);  // the second of three packets is lost
  ASSERT_EQ(r.to_sub.size(), 5u);  // 3 + 2
  EXPECT_TRUE(r.nacks_to_pub.empty());
  r.advance(Duration::millis(5));
  ASSERT_EQ(r.nacks_to_pub.size(), 1u);
  const auto lost_seq = rtp::parse_packet(lost[1]->bytes)->header.sequence;
  EXPECT_EQ(r.nacks_to_pub[0].media_ssrc, 0x3333u);
  EXPECT_EQ(rtp::nack_sequences(r.nacks_to_pub[0]), (std::vector<std::uint16_t>{lost_seq}));

  r.retransmit(lost[1]);
  ASSERT_EQ(r.to_sub.size(), 6u);
  auto got = rtp::parse_packet(r.to_sub.back());
  auto was = rtp::parse_packet(lost[1]->bytes);
  EXPECT_EQ(got->header.ssrc, 0xA0u);  // the subscriber's stream, not an RTX stream
  EXPECT_EQ(got->header.payload_type, 120);
  EXPECT_EQ(got->header.sequence, 100 + 3 + 1);  // exactly the hole the subscriber has
  EXPECT_EQ(got->header.timestamp, rtp::parse_packet(r.to_sub[4])->header.timestamp);
  // The VP8 descriptor (5 bytes: X, I|L, 15-bit picture id, TL0PICIDX) is rewritten as for the
  // rest of its frame; what follows is the original payload.
  auto same_frame = rtp::parse_packet(r.to_sub[4]);
  ASSERT_GT(got->payload.size(), 5u);
  EXPECT_TRUE(std::equal(got->payload.begin(), got->payload.begin() + 5, same_frame->payload.begin()));
  EXPECT_TRUE(std::equal(got->payload.begin() + 5, got->payload.end(), was->payload.begin() + 5, was->payload.end()));
  EXPECT_EQ(r.router.stats().repaired, 1u);
  EXPECT_EQ(r.router.stats().publisher_nacks_sent, 1u);

  // Once repaired it is not asked for again; a second copy and a padding probe go nowhere.
  r.advance(Duration::millis(200));
  EXPECT_EQ(r.nacks_to_pub.size(), 1u);
  r.retransmit(lost[1]);
  r.retransmit(lost[0], /*padding_only=*/true);
  r.retransmit(lost[0]);  // a packet that did arrive, resent unasked (as Chrome probes)
  EXPECT_EQ(r.to_sub.size(), 6u);
  EXPECT_EQ(r.router.stats().rtx_unrequested, 2u);
  EXPECT_EQ(r.router.stats().ingress_dropped, 0u);
}

TEST(PublisherRepair, AfterThreeTriesItGivesUpAndALateRetransmissionIsNotForwarded) {
  RepairRoom r;
  r.frame(true);
  r.advance(Duration::micros(33'333));
  auto lost = r.frame(false, 1);
  r.advance(Duration::millis(500));
  EXPECT_EQ(r.nacks_to_pub.size(), 3u);
  r.advance(Duration::seconds(2));
  EXPECT_EQ(r.nacks_to_pub.size(), 3u);
  r.retransmit(lost[1]);
  EXPECT_EQ(r.to_sub.size(), 5u);
  EXPECT_EQ(r.router.stats().rtx_unrequested, 1u);
}

TEST(PublisherRepair, WithoutNackNegotiatedNothingIsAskedAndRtxIsNotForwarded) {
  RepairRoom r(/*nack=*/false);
  r.frame(true);
  r.advance(Duration::micros(33'333));
  auto lost = r.frame(false, 1);
  r.advance(Duration::millis(500));
  EXPECT_TRUE(r.nacks_to_pub.empty());
  r.retransmit(lost[1]);
  EXPECT_EQ(r.to_sub.size(), 5u);
  EXPECT_EQ(r.router.stats().rtx_unrequested, 1u);
}

}  // namespace
}  // namespace peerkit::sfu
