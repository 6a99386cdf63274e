// A native receiver's repair and feedback (peer/media_repair.cpp): RTX retransmissions restored
// to the packets they repair (RFC 4588 §4), padding-only RTX probes dropped, and transport-wide
// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) for every numbered packet.
// The remote is a raw SRTP end: it writes what an SFU or a browser sends.
#include <gtest/gtest.h>

#include "peer/media_session.h"
#include "rtp/extension_values.h"
#include "rtp/rtcp_feedback.h"
#include "rtp/rtx.h"
#include "unit/peer/media_test_support.h"

namespace peerkit::peer {
namespace {

using namespace media_test;

constexpr std::uint32_t kMedia = 0xA0A0A0A0, kRtx = 0xB0B0B0B0;
constexpr std::uint8_t kVp8 = 96, kRtxPt = 97, kTwccId = 3;

// A VP8 packet of the remote's media stream, numbered transport-wide with `transport_seq`.
std::vector<std::byte> media(std::uint16_t seq, std::optional<std::uint16_t> transport_seq,
                             std::vector<std::byte> payload = bytes({0x10, 1, 2, 3})) {
  const auto twcc = rtp::transport_cc_bytes(transport_seq.value_or(0));
  const rtp::Extension ext{kTwccId, ByteSpan(twcc)};
  rtp::PacketBuild b;
  b.header.sequence = seq;
  b.header.timestamp = 90u * seq;
  b.header.ssrc = kMedia;
  b.header.payload_type = kVp8;
  if (transport_seq) b.extensions = std::span(&ext, 1);
  b.payload = payload;
  std::vector<std::byte> out(rtp::packet_size(b));
  const auto n = rtp::build_packet(b, out);
  out.resize(n ? *n : 0);
  return out;
}

ReceivingTrack video_track() {
  ReceivingTrack t{"0", {kMedia}, kVp8, std::nullopt};
  t.nack = true;
  t.rtx_payload_type = kRtxPt;
  t.rtx_ssrcs = {{kRtx, kMedia}};
  t.twcc_extension = kTwccId;
  return t;
}

TEST(MediaRepair, EveryNumberedPacketIsFedBackEvery50ms) {
  MediaSession receiver;
  auto track = video_track();
  track.nack = false;  // the feedback alone
  receiver.set_receiving({track});
  ASSERT_TRUE(receiver.start(keys(true), 2));
  RtcpEnd remote(false);
  // Transport numbers 100–109 over 9 ms; 104 is lost on the way.
  for (std::uint16_t i = 0; i < 10; ++i)
    if (i != 4) receiver.handle_datagram(remote.protect_rtp(media(1 + i, 100 + i)), kT0 + Duration::millis(i));
  ASSERT_TRUE(receiver.next_timeout());
  EXPECT_EQ(*receiver.next_timeout(), kT0 + rtp::TwccFeedback::kInterval);  // before the report
  EXPECT_FALSE(receiver.poll_feedback(kT0 + Duration::millis(49)));

  const auto d = receiver.poll_feedback(kT0 + Duration::millis(50));
  ASSERT_TRUE(d);
  const auto packets = remote.read(*d);
  ASSERT_EQ(packets.size(), 2u);  // behind an empty RR: no rtcp-rsize
  EXPECT_TRUE(std::holds_alternative<rtp::ReceiverReport>(packets[0]));
  const auto* f = std::get_if<rtp::TransportFeedback>(&packets[1]);
  ASSERT_TRUE(f);
  EXPECT_EQ(f->sender_ssrc, 2u);
  EXPECT_EQ(f->media_ssrc, kMedia);
  EXPECT_EQ(f->base_sequence, 100);
  ASSERT_EQ(f->packets.size(), 10u);
  for (std::size_t i = 0; i < 10; ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(f->packets[i].status == rtp::TwccStatus::kNotReceived, i == 4);
  }
  // 1 ms apart in 250 µs ticks (the lost one excepted: its time goes to the next).
  EXPECT_EQ(f->packets[1].delta, 4);
  EXPECT_EQ(f->packets[5].delta, 8);
  EXPECT_EQ(receiver.transport_feedback_sent(), 1u);
  // Nothing more until packets arrive again; the receiver report stays due at 1 s.
  EXPECT_FALSE(receiver.poll_feedback(kT0 + Duration::millis(100)));
  EXPECT_EQ(*receiver.next_timeout(), kT0 + MediaSession::kReportInterval);

  // Reduced-size RTCP (RFC 5506): the feedback goes alone.
  receiver.set_reduced_size_rtcp(true);
  receiver.handle_datagram(remote.protect_rtp(media(11, 110)), kT0 + Duration::millis(200));
  const auto alone = receiver.poll_feedback(kT0 + Duration::millis(250));
  ASSERT_TRUE(alone);
  const auto only = remote.read(*alone);
  ASSERT_EQ(only.size(), 1u);
  EXPECT_EQ(std::get<rtp::TransportFeedback>(only[0]).base_sequence, 110);
}

TEST(MediaRepair, WithoutTheExtensionNegotiatedNothingIsFedBack) {
  MediaSession receiver;
  auto t = video_track();
  t.twcc_extension.reset();
  t.nack = false;
  receiver.set_receiving({t});
  ASSERT_TRUE(receiver.start(keys(true), 2));
  RtcpEnd remote(false);
  receiver.handle_datagram(remote.protect_rtp(media(1, 100)), kT0);
  EXPECT_EQ(*receiver.next_timeout(), kT0 + MediaSession::kReportInterval);
  EXPECT_FALSE(receiver.poll_feedback(kT0 + Duration::millis(500)));
  EXPECT_EQ(receiver.transport_feedback_sent(), 0u);
}

TEST(MediaRepair, AnRtxRetransmissionIsRestoredAndPaddingIsOnlyAProbe) {
  MediaSession receiver;
  receiver.set_receiving({video_track()});
  ASSERT_TRUE(receiver.start(keys(true), 2));
  RtcpEnd remote(false);
  receiver.handle_datagram(remote.protect_rtp(media(1, 100)), kT0);
  receiver.handle_datagram(remote.protect_rtp(media(3, 102)), kT0 + Duration::millis(1));
  while (receiver.poll_event()) {
  }
  auto nack = receiver.poll_feedback(kT0 + Duration::millis(6));
  ASSERT_TRUE(nack);

  // The retransmission of 2 on the RTX stream (its own SSRC, type and numbering; OSN first).
  const auto original = media(2, std::nullopt, bytes({0x10, 7, 7}));
  std::vector<std::byte> rtx(rtp::rtx_size(original));
  ASSERT_TRUE(rtp::wrap_rtx(original, rtp::RtxParams{kRtx, kRtxPt, 500}, rtx));
  receiver.handle_datagram(remote.protect_rtp(rtx), kT0 + Duration::millis(20));
  auto e = receiver.poll_event();
  ASSERT_TRUE(e);
  const auto* got = std::get_if<RtpReceived>(&*e);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->packet, original);  // header and payload as first sent
  EXPECT_EQ(receiver.counters().at("0").retransmitted_packets_received, 1u);

  // A padding-only RTX packet (a bandwidth probe): no event, not an error, but numbered.
  const auto twcc = rtp::transport_cc_bytes(103);
  const rtp::Extension ext{kTwccId, ByteSpan(twcc)};
  rtp::PacketBuild probe;
  probe.header.ssrc = kRtx;
  probe.header.payload_type = kRtxPt;
  probe.header.sequence = 501;
  probe.extensions = std::span(&ext, 1);
  probe.padding = 200;
  std::vector<std::byte> padding(rtp::packet_size(probe));
  ASSERT_TRUE(rtp::build_packet(probe, padding));
  receiver.handle_datagram(remote.protect_rtp(padding), kT0 + Duration::millis(21));
  EXPECT_FALSE(receiver.poll_event());
  EXPECT_EQ(receiver.counters().at("0").padding_packets_received, 1u);
  EXPECT_EQ(receiver.dropped(), 0u);

  // An RTX stream the remote never paired has nothing to be restored to: dropped.
  std::vector<std::byte> stray(rtp::rtx_size(original));
  ASSERT_TRUE(rtp::wrap_rtx(original, rtp::RtxParams{0xC0C0C0C0, kRtxPt, 9}, stray));
  receiver.handle_datagram(remote.protect_rtp(stray), kT0 + Duration::millis(22));
  EXPECT_FALSE(receiver.poll_event());
  EXPECT_EQ(receiver.dropped(), 1u);

  // 2 is repaired: no second NACK for it. The feedback covers 100–103, probe included.
  std::vector<std::uint16_t> asked;
  std::vector<rtp::TransportFeedback> fed;
  for (const int ms : {50, 56, 106}) {
    while (auto d = receiver.poll_feedback(kT0 + Duration::millis(ms)))
      for (const auto& p : remote.read(*d)) {
        if (const auto* n = std::get_if<rtp::GenericNack>(&p))
          for (const auto q : rtp::nack_sequences(*n)) asked.push_back(q);
        if (const auto* f = std::get_if<rtp::TransportFeedback>(&p)) fed.push_back(*f);
      }
  }
  EXPECT_TRUE(asked.empty());
  ASSERT_EQ(fed.size(), 1u);
  EXPECT_EQ(fed[0].base_sequence, 100);
  ASSERT_EQ(fed[0].packets.size(), 4u);
  EXPECT_EQ(fed[0].packets[1].status, rtp::TwccStatus::kNotReceived);  // 101: media 2, lost
  EXPECT_NE(fed[0].packets[3].status, rtp::TwccStatus::kNotReceived);  // the probe
}

// What the application has had is not delivered again: an RTX packet for a number that was
// never missing (libwebrtc probes with old packets), a second RTX of a repaired number, the
// late original of a repaired number. A padding-only packet on the media stream (a sender
// probing without RTX) takes its number and is not delivered.
TEST(MediaRepair, RepeatsAndPaddingDoNotReachTheApplication) {
  MediaSession receiver;
  receiver.set_receiving({video_track()});
  ASSERT_TRUE(receiver.start(keys(true), 2));
  RtcpEnd remote(false);
  auto rtx_of = [](std::uint16_t seq, std::uint16_t rtx_seq) {
    const auto original = media(seq, std::nullopt, bytes({0x10, 4, 4}));
    std::vector<std::byte> out(rtp::rtx_size(original));
    EXPECT_TRUE(rtp::wrap_rtx(original, rtp::RtxParams{kRtx, kRtxPt, rtx_seq}, out));
    return out;
  };
  receiver.handle_datagram(remote.protect_rtp(media(1, 100)), kT0);
  receiver.handle_datagram(remote.protect_rtp(media(3, 102)), kT0 + Duration::millis(1));
  ASSERT_TRUE(receiver.poll_feedback(kT0 + Duration::millis(6)));  // the NACK for 2
  int delivered = 0;
  auto drain = [&] {
    while (auto e = receiver.poll_event()) delivered += std::holds_alternative<RtpReceived>(*e);
  };
  drain();
  ASSERT_EQ(delivered, 2);
  receiver.handle_datagram(remote.protect_rtp(rtx_of(1, 700)), kT0 + Duration::millis(10));  // never missing
  receiver.handle_datagram(remote.protect_rtp(rtx_of(2, 701)), kT0 + Duration::millis(20));  // the repair
  receiver.handle_datagram(remote.protect_rtp(rtx_of(2, 702)), kT0 + Duration::millis(21));  // again
  receiver.handle_datagram(remote.protect_rtp(media(2, 101)), kT0 + Duration::millis(22));   // late original
  drain();
  EXPECT_EQ(delivered, 3);  // 1, 3 and the repaired 2
  const auto& c = receiver.counters().at("0");
  EXPECT_EQ(c.retransmitted_packets_received, 1u);
  EXPECT_EQ(c.repeats_dropped, 3u);
  EXPECT_EQ(c.packets_received, 3u);

  rtp::PacketBuild pad;
  pad.header.ssrc = kMedia;
  pad.header.payload_type = kVp8;
  pad.header.sequence = 4;
  pad.padding = 100;
  std::vector<std::byte> padding(rtp::packet_size(pad));
  ASSERT_TRUE(rtp::build_packet(pad, padding));
  receiver.handle_datagram(remote.protect_rtp(padding), kT0 + Duration::millis(30));
  receiver.handle_datagram(remote.protect_rtp(media(5, 104)), kT0 + Duration::millis(31));
  drain();
  EXPECT_EQ(delivered, 4);  // 5 only
  EXPECT_EQ(c.padding_packets_received, 1u);
  // 4 was a number in the stream: no gap before 5, nothing to NACK.
  for (const int ms : {40, 60, 100})
    while (auto d = receiver.poll_feedback(kT0 + Duration::millis(ms)))
      for (const auto& p : remote.read(*d)) EXPECT_FALSE(std::holds_alternative<rtp::GenericNack>(p));
  EXPECT_EQ(receiver.dropped(), 0u);
}

}  // namespace
}  // namespace peerkit::peer
