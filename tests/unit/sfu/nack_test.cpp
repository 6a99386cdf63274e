// PacketHistory + NackResponder (sfu/packet_history.h, sfu/nack_responder.h): NACK → RTX from a
// bounded history, on a virtual clock.
#include <gtest/gtest.h>

#include <vector>

#include "rtp/rtx.h"
#include "sfu/nack_responder.h"
#include "sfu/outbound_stream.h"
#include "sim_publisher.h"

namespace peerkit::sfu {
namespace {

struct Sink final : PacketSink {
  std::vector<std::vector<std::byte>> packets;
  void send(ByteSpan p) override { packets.emplace_back(p.begin(), p.end()); }
};

rtp::GenericNack nack_for(std::vector<std::uint16_t> seqs) {
  rtp::GenericNack n;
  n.sender_ssrc = 0x99;
  n.media_ssrc = test::subscriber().ssrc;
  n.items = rtp::nack_items(seqs);
  return n;
}

// A subscriber stream of `frames` layer-2 frames (3 packets each, 33 ms apart) stored in history.
struct Stream {
  ManualClock clock{Timestamp::from_micros(10'000'000)};
  test::SimPublisher pub;
  rtp::ExtensionMap pub_map = test::publisher_map();
  SubscriberParams sub = test::subscriber();
  OutboundStream out{OutboundStream::Config{90'000, 65000, 1000, 7, 1}};
  PacketHistory history{PacketHistory::video()};
  NackResponder responder{4000};
  Sink sink;
  std::vector<std::vector<std::byte>> sent;  // what the subscriber got the first time

  Stream() { out.set_target_layer(2); }
  void frames(int n, Duration step = Duration::micros(33'333)) {
    for (int f = 0; f < n; ++f) {
      for (const auto& p : pub.frame(2, clock.now(), sent.empty())) {
        auto fields = out.forward(*p);
        ASSERT_TRUE(fields);
        std::vector<std::byte> buf(p->bytes.size() + kEgressGrowth);
        auto size = write_egress(*p, pub_map, sub, *fields, buf);
        ASSERT_TRUE(size);
        buf.resize(*size);
        sent.push_back(buf);
        history.store(clock.now(), p, *fields);
      }
      clock.advance(step);
    }
  }
  std::size_t nack(std::vector<std::uint16_t> seqs, Duration rtt = Duration::millis(50)) {
    return responder.handle_nack(clock.now(), nack_for(seqs), rtt, history, pub_map, sub, sink);
  }
};

TEST(Nack, LostPacketsComeBackAsRtxOfTheExactEgressPacket) {
  Stream s;
  s.frames(10);  // 30 packets, egress seq 65000 … 65029
  ASSERT_EQ(s.nack({65003, 65010, 65011}), 3u);
  ASSERT_EQ(s.sink.packets.size(), 3u);
  const std::uint16_t rtx_seqs[] = {4000, 4001, 4002};
  const int index[] = {3, 10, 11};
  for (int i = 0; i < 3; ++i) {
    auto v = rtp::parse_packet(s.sink.packets[i]);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header.ssrc, s.sub.rtx_ssrc);
    EXPECT_EQ(v->header.payload_type, s.sub.rtx_payload_type);
    EXPECT_EQ(v->header.sequence, rtx_seqs[i]);
    // Unwrapping gives back byte for byte what the subscriber was sent first (RFC 4588 §4).
    std::vector<std::byte> restored(1600);
    auto n = rtp::unwrap_rtx(s.sink.packets[i], {s.sub.ssrc, s.sub.payload_type}, restored);
    ASSERT_TRUE(n);
    restored.resize(*n);
    EXPECT_EQ(restored, s.sent[index[i]]);
  }
  EXPECT_EQ(s.responder.stats().resent, 3u);
}

TEST(Nack, RepeatsAreRateLimitedToOncePerRtt) {
  Stream s;
  s.frames(5);
  EXPECT_EQ(s.nack({65001}, Duration::millis(40)), 1u);
  s.clock.advance(Duration::millis(39));
  EXPECT_EQ(s.nack({65001}, Duration::millis(40)), 0u);
  EXPECT_EQ(s.responder.stats().rate_limited, 1u);
  s.clock.advance(Duration::millis(1));
  EXPECT_EQ(s.nack({65001}, Duration::millis(40)), 1u);
  // With an RTT below the floor, 10 ms apart at most.
  s.clock.advance(Duration::millis(9));
  EXPECT_EQ(s.nack({65001}, Duration::millis(1)), 0u);
  s.clock.advance(Duration::millis(1));
  EXPECT_EQ(s.nack({65001}, Duration::millis(1)), 1u);
}

TEST(Nack, ExpiredAndUnknownPacketsAreNotResent) {
  Stream s;
  s.frames(1);  // 65000–65002 at t0
  s.clock.advance(Duration::seconds(1));
  s.frames(1);  // 65003–65005 at t0 + 1 s
  s.clock.advance(Duration::millis(1000));
  // t0 + 2.033 s: the first frame is older than 2 s, the second is not.
  EXPECT_EQ(s.nack({65000, 65001, 65004, 65100}), 1u);
  EXPECT_EQ(s.responder.stats().expired, 2u);
  EXPECT_EQ(s.responder.stats().unknown, 1u);  // 65100 was never sent
  s.history.expire(s.clock.now());
  EXPECT_EQ(s.history.size(), 3u);  // the expired ones released their ingress packets
  s.clock.advance(Duration::seconds(2));
  s.history.expire(s.clock.now());
  EXPECT_EQ(s.history.size(), 0u);
}

TEST(Nack, PacketCountCapAcrossSequenceWrap) {
  Stream s;
  s.history = PacketHistory({Duration::seconds(2), 64, Duration::millis(10)});
  s.out = OutboundStream(OutboundStream::Config{90'000, 65500, 1000, 7, 1});
  s.out.set_target_layer(2);
  s.frames(40, Duration::millis(5));  // 120 packets: 65500 … 65535, 0 … 83
  EXPECT_EQ(s.history.size(), 64u);
  // The newest 64 (egress 20 … 83) are held, the older ones are gone.
  EXPECT_EQ(s.nack({19, 20, 83, 65535}), 2u);
  EXPECT_EQ(s.responder.stats().unknown, 2u);
  auto v = rtp::parse_packet(s.sink.packets[1]);
  ASSERT_TRUE(v);
  EXPECT_EQ(std::to_integer<int>(v->payload[0]) << 8 | std::to_integer<int>(v->payload[1]), 83);
}

TEST(Nack, WithoutRtxTheOriginalIsResent) {
  Stream s;
  s.sub.rtx_ssrc = 0;
  s.frames(2);
  ASSERT_EQ(s.nack({65004}), 1u);
  EXPECT_EQ(s.sink.packets[0], s.sent[4]);
}

TEST(PacketHistory, AudioAndVideoDefaultsAreBounded) {
  EXPECT_EQ(PacketHistory::audio().max_age, Duration::seconds(1));
  EXPECT_EQ(PacketHistory::video().max_age, Duration::seconds(2));
  // ≤ 64 KiB of entries per subscribed video track (T12 in the perf targets).
  EXPECT_LE(PacketHistory::video().max_packets * sizeof(PacketHistory::Entry), 64u * 1024u);
}

// The ring costs what the stream's rate needs: it starts small and grows by half only when it would
// overwrite a packet younger than max_age; nothing held is lost when it grows.
TEST(PacketHistory, GrowsWithTheRateNotUpFront) {
  Stream s;
  EXPECT_EQ(s.history.capacity(), PacketHistory::kInitialSlots);
  s.frames(30);  // 90 packets in 1 s: more than 64 young ones
  EXPECT_EQ(s.history.capacity(), PacketHistory::kInitialSlots * 3 / 2);
  EXPECT_EQ(s.history.size(), 90u);
  EXPECT_EQ(s.nack({65000, 65045, 65089}), 3u);  // the first, a middle one, the newest
  // A slow stream never grows it: 3 packets a second, each older than 2 s by the time its slot
  // comes round again.
  Stream slow;
  slow.frames(100, Duration::seconds(1));
  EXPECT_EQ(slow.history.capacity(), PacketHistory::kInitialSlots);
  EXPECT_LE(slow.history.size(), 9u);
  // And never past max_packets.
  Stream fast;
  fast.history = PacketHistory({Duration::seconds(2), 200, Duration::millis(10)});
  fast.frames(200, Duration::millis(1));
  EXPECT_EQ(fast.history.capacity(), 200u);
  EXPECT_EQ(fast.history.size(), 200u);
}

}  // namespace
}  // namespace peerkit::sfu
