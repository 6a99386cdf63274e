// The media half of a connection (peer/media_session.h): two sessions with mirrored DTLS-SRTP
// keys stand for the two ends; what one sends, the other decrypts, routes and reports.
#include "peer/media_session.h"

#include <gtest/gtest.h>

#include "unit/peer/media_test_support.h"

#include <deque>
#include <tuple>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/rtcp_feedback.h"

namespace peerkit::peer {
namespace {

using namespace media_test;

struct Pair {
  MediaSession sender, receiver;
  Pair(std::optional<std::uint8_t> ext, std::vector<std::uint32_t> announced) {
    sender.set_sending({SendingTrack{"0", 0xA0A0A0A0, 111, ext}});
    receiver.set_receiving({ReceivingTrack{"0", std::move(announced), 111, ext}});
    EXPECT_TRUE(sender.start(keys(false), 1));
    EXPECT_TRUE(receiver.start(keys(true), 2));
  }
};

TEST(MediaSession, WritesTheNegotiatedHeaderAndTheReceiverRoutesByAnnouncedSsrc) {
  Pair p(std::nullopt, {0xA0A0A0A0});
  const auto wire = p.sender.send_rtp("0", packet(7, bytes({1, 2, 3})), kT0);
  ASSERT_TRUE(wire) << wire.error();
  EXPECT_GT(wire->size(), packet(7, bytes({1, 2, 3})).size());  // the SRTP auth tag
  p.receiver.handle_datagram(*wire, kT0);
  auto e = p.receiver.poll_event();
  ASSERT_TRUE(e);
  const auto* got = std::get_if<RtpReceived>(&*e);
  ASSERT_TRUE(got);
  EXPECT_EQ(got->mid, "0");
  const auto v = rtp::parse_packet(got->packet);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header.ssrc, 0xA0A0A0A0u);
  EXPECT_EQ(v->header.payload_type, 111);
  EXPECT_EQ(v->header.sequence, 7);
  EXPECT_EQ(v->header.timestamp, 7u * 960u);
  EXPECT_EQ(std::vector<std::byte>(v->payload.begin(), v->payload.end()), bytes({1, 2, 3}));
  EXPECT_FALSE(p.receiver.poll_event());
  EXPECT_EQ(p.sender.counters().at("0").packets_sent, 1u);
  EXPECT_EQ(p.sender.counters().at("0").bytes_sent, 3u);
  EXPECT_EQ(p.receiver.counters().at("0").packets_received, 1u);
  EXPECT_EQ(p.receiver.dropped(), 0u);

  // The same datagram again is a replay (RFC 3711 §3.3.2): dropped, no event.
  p.receiver.handle_datagram(*wire, kT0);
  EXPECT_FALSE(p.receiver.poll_event());
  EXPECT_EQ(p.receiver.dropped(), 1u);
}

TEST(MediaSession, AnUnannouncedSsrcBindsByItsMidExtension) {
  Pair p(std::uint8_t{4}, {});
  const auto wire = p.sender.send_rtp("0", packet(1, bytes({9})), kT0);
  ASSERT_TRUE(wire);
  p.receiver.handle_datagram(*wire, kT0);
  auto e = p.receiver.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<RtpReceived>(*e));
  const auto v = rtp::parse_packet(std::get<RtpReceived>(*e).packet);
  ASSERT_TRUE(v);
  const auto mid = v->extensions.find(4);
  ASSERT_TRUE(mid);
  EXPECT_EQ(as_string_view(*mid), "0");  // RFC 8843 §15: the sender writes its mid
  // The binding holds, and a keyframe request can now name the source.
  const auto pli = p.receiver.keyframe_request("0");
  ASSERT_TRUE(pli) << pli.error();
  p.sender.handle_datagram(*pli, kT0);
  e = p.sender.poll_event();
  ASSERT_TRUE(e);
  ASSERT_TRUE(std::holds_alternative<KeyframeRequested>(*e));
  EXPECT_EQ(std::get<KeyframeRequested>(*e).mid, "0");
  EXPECT_EQ(p.sender.counters().at("0").keyframe_requests_received, 1u);
  EXPECT_EQ(p.receiver.counters().at("0").keyframe_requests_sent, 1u);
}

TEST(MediaSession, WithoutAnnouncementOrMidTheStreamIsDropped) {
  Pair p(std::nullopt, {});  // nothing to route by
  const auto wire = p.sender.send_rtp("0", packet(1, bytes({9})), kT0);
  ASSERT_TRUE(wire);
  p.receiver.handle_datagram(*wire, kT0);
  EXPECT_FALSE(p.receiver.poll_event());
  EXPECT_EQ(p.receiver.dropped(), 1u);
  const auto pli = p.receiver.keyframe_request("0");
  ASSERT_FALSE(pli);
  EXPECT_EQ(pli.error().rfind("InvalidStateError", 0), 0u);
}

TEST(MediaSession, FirAsksForAKeyframeToo) {
  Pair p(std::nullopt, {0xA0A0A0A0});
  // An FIR (RFC 5104 §4.3.1) built by hand, protected with the receiver's keys.
  RtcpEnd receiver_side(true);
  p.sender.handle_datagram(receiver_side.protect({rtp::Fir{2, {rtp::FirEntry{0xA0A0A0A0, 1}, rtp::FirEntry{0x12345678, 1}}}}), kT0);
  auto e = p.sender.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<KeyframeRequested>(*e));  // the entry for our SSRC
  EXPECT_FALSE(p.sender.poll_event());  // the other SSRC is not ours

  // The same FIR again (a retransmission: same sequence number) asks for nothing new; the next
  // sequence number does (RFC 5104 §4.3.1.2).
  p.sender.handle_datagram(receiver_side.protect({rtp::Fir{2, {rtp::FirEntry{0xA0A0A0A0, 1}}}}), kT0);
  EXPECT_FALSE(p.sender.poll_event());
  p.sender.handle_datagram(receiver_side.protect({rtp::Fir{2, {rtp::FirEntry{0xA0A0A0A0, 2}}}}), kT0);
  EXPECT_TRUE(p.sender.poll_event());
  EXPECT_EQ(p.sender.counters().at("0").keyframe_requests_received, 2u);
}

// RFC 3550 §6.1: without reduced-size RTCP the PLI follows a receiver report; with it, alone.
TEST(MediaSession, APliIsCompoundUnlessReducedSizeWasNegotiated) {
  for (const bool rsize : {false, true}) {
    Pair p(std::nullopt, {0xA0A0A0A0});
    p.receiver.set_reduced_size_rtcp(rsize);
    auto pli = p.receiver.keyframe_request("0");
    ASSERT_TRUE(pli);
    const auto packets = RtcpEnd(false).read(*pli);  // the sender's view
    ASSERT_EQ(packets.size(), rsize ? 1u : 2u);
    if (!rsize) {
      EXPECT_TRUE(std::holds_alternative<rtp::ReceiverReport>(packets.front()));
    }
    EXPECT_TRUE(std::holds_alternative<rtp::Pli>(packets.back()));
  }
}

// What the answer did not take — RTX, padding probes, another codec — is not media of the track.
TEST(MediaSession, APayloadTypeNotAnsweredIsDropped) {
  Pair p(std::nullopt, {0xA0A0A0A0});
  p.sender.set_sending({SendingTrack{"0", 0xA0A0A0A0, 97, std::nullopt}});  // e.g. RTX's
  p.receiver.handle_datagram(*p.sender.send_rtp("0", packet(1, bytes({1})), kT0), kT0);
  EXPECT_FALSE(p.receiver.poll_event());
  EXPECT_EQ(p.receiver.dropped(), 1u);
}

TEST(MediaSession, RefusesWhatCannotBeSent) {
  MediaSession s;
  s.set_sending({SendingTrack{"0", 1, 96, std::nullopt}});
  auto r = s.send_rtp("0", packet(1, bytes({1})), kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("InvalidStateError", 0), 0u);  // not started
  ASSERT_TRUE(s.start(keys(false), 1));
  r = s.send_rtp("1", packet(1, bytes({1})), kT0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("not negotiated"), std::string::npos);
  r = s.send_rtp("0", bytes({1, 2, 3}), kT0);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().rfind("TypeError", 0), 0u);
  r = s.send_rtp("0", packet(1, std::vector<std::byte>(srtp::kMaxPacket)), kT0);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().find("over"), std::string::npos);
  EXPECT_FALSE(s.counters().contains("0"));
}

TEST(MediaSession, GarbageAndForgeriesAreCountedAndDropped) {
  Pair p(std::nullopt, {0xA0A0A0A0});
  auto wire = *p.sender.send_rtp("0", packet(3, bytes({5, 5})), kT0);
  wire.back() ^= std::byte{1};  // the auth tag no longer matches
  p.receiver.handle_datagram(wire, kT0);
  p.receiver.handle_datagram(bytes({0x80}), kT0);
  p.receiver.handle_datagram(bytes({0x17, 0xFE, 0xFD}), kT0);  // DTLS, not ours
  p.receiver.handle_datagram({}, kT0);
  EXPECT_FALSE(p.receiver.poll_event());
  EXPECT_EQ(p.receiver.dropped(), 4u);
  MediaSession idle;  // not started: everything is dropped
  idle.handle_datagram(wire, kT0);
  EXPECT_EQ(idle.dropped(), 1u);
}

TEST(MediaSession, NewReceivingTracksForgetBindingsOfSectionsThatAreGone) {
  Pair p(std::uint8_t{4}, {});
  p.receiver.handle_datagram(*p.sender.send_rtp("0", packet(1, bytes({1})), kT0), kT0);
  ASSERT_TRUE(p.receiver.poll_event());
  ASSERT_TRUE(p.receiver.keyframe_request("0"));
  p.receiver.set_receiving({ReceivingTrack{"1", {}, 111, 4}});
  EXPECT_FALSE(p.receiver.keyframe_request("0"));
  // A packet still naming mid 0 belongs to nothing now.
  p.receiver.handle_datagram(*p.sender.send_rtp("0", packet(2, bytes({1})), kT0), kT0);
  EXPECT_FALSE(p.receiver.poll_event());

  // Section 0 comes back (an SFU reusing it for another source): the ended stream's SSRC stays
  // retired — its SRTP context was released, so a replay of the old stream would decrypt again
  // — and does not bind by mid; only an announcement brings it back.
  const auto old_stream = *p.sender.send_rtp("0", packet(3, bytes({1})), kT0);
  p.receiver.set_receiving({ReceivingTrack{"0", {}, 111, 4}});
  p.receiver.handle_datagram(old_stream, kT0);
  EXPECT_FALSE(p.receiver.poll_event());
  p.receiver.set_receiving({ReceivingTrack{"0", {0xA0A0A0A0}, 111, 4}});
  p.receiver.handle_datagram(*p.sender.send_rtp("0", packet(4, bytes({1})), kT0), kT0);
  EXPECT_TRUE(p.receiver.poll_event());
}

// A remote can announce our own SSRC (the PLI's sender SSRC is visible) and drop it again:
// releasing it must not reset our outbound SRTCP index (RFC 3711 §9.1: keystream reuse).
TEST(MediaSession, ReleasingARemoteSsrcLeavesOurOutboundStreams) {
  Pair p(std::nullopt, {0xA0A0A0A0});
  auto first = p.receiver.keyframe_request("0");  // receiver SSRC 2 sends SRTCP
  ASSERT_TRUE(first);
  p.receiver.set_receiving({ReceivingTrack{"0", {0xA0A0A0A0, 2}, 111, std::nullopt}});
  p.receiver.set_receiving({ReceivingTrack{"0", {0xA0A0A0A0}, 111, std::nullopt}});
  auto second = p.receiver.keyframe_request("0");
  ASSERT_TRUE(second);
  // The SRTCP index (E flag + 31 bits before the tag, RFC 3711 §3.4) moved on: not reused.
  auto index = [](const std::vector<std::byte>& d) {
    const std::size_t at = d.size() - 10 - 4;
    return (std::to_integer<std::uint32_t>(d[at]) << 24 | std::to_integer<std::uint32_t>(d[at + 1]) << 16 |
            std::to_integer<std::uint32_t>(d[at + 2]) << 8 | std::to_integer<std::uint32_t>(d[at + 3])) & 0x7fffffffu;
  };
  EXPECT_EQ(index(*second), index(*first) + 1);
}

// Simulcast (RFC 8853): each layer is its own SSRC, and each packet says its layer with the rid
// header extension (RFC 8852 §3.1) beside the mid, so a receiver without a=ssrc lines (an SFU
// answering Chrome-shaped offers) binds it. A PLI naming a layer's SSRC asks that layer.
TEST(MediaSession, SimulcastLayersHaveTheirOwnSsrcAndRid) {
  MediaSession sender, receiver;
  SendingTrack t{"0", 0, 96, std::uint8_t{1}, {}, {}, {}};
  t.layers = {SendingLayer{"q", 0x1111}, SendingLayer{"f", 0x3333}};
  t.rid_extension = 2;
  sender.set_sending({t});
  receiver.set_receiving({ReceivingTrack{"0", {0x1111, 0x3333}, 96, std::uint8_t{1}}});
  ASSERT_TRUE(sender.start(keys(false), 1));
  ASSERT_TRUE(receiver.start(keys(true), 2));

  for (const auto& [rid, ssrc] : {std::pair<std::string, std::uint32_t>{"q", 0x1111}, {"f", 0x3333}}) {
    const auto wire = sender.send_rtp("0", packet(5, bytes({7})), kT0, rid);
    ASSERT_TRUE(wire) << wire.error();
    receiver.handle_datagram(*wire, kT0);
    auto e = receiver.poll_event();
    ASSERT_TRUE(e && std::holds_alternative<RtpReceived>(*e));
    const auto v = rtp::parse_packet(std::get<RtpReceived>(*e).packet);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header.ssrc, ssrc);
    const auto r = v->extensions.find(2);
    ASSERT_TRUE(r);
    EXPECT_EQ(as_string_view(*r), rid);
    const auto m = v->extensions.find(1);
    ASSERT_TRUE(m);
    EXPECT_EQ(as_string_view(*m), "0");
  }
  // A layer the answer did not take, and no layer at all, are refused.
  for (const std::string_view rid : {std::string_view("h"), std::string_view("")}) {
    const auto refused = sender.send_rtp("0", packet(6, bytes({7})), kT0, rid);
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().rfind("InvalidStateError", 0), 0u) << refused.error();
  }

  // The receiver's PLI names the SSRC it announced first (q's); FIR entries name f.
  const auto pli = receiver.keyframe_request("0");
  ASSERT_TRUE(pli);
  sender.handle_datagram(*pli, kT0);
  auto e = sender.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<KeyframeRequested>(*e));
  EXPECT_EQ(std::get<KeyframeRequested>(*e).rid, "q");
  // A second SRTCP sender with the receiver's keys: its index starts past the receiver's PLI.
  RtcpEnd receiver_side(true);
  receiver_side.protect({rtp::ReceiverReport{2, {}}});
  sender.handle_datagram(receiver_side.protect({rtp::Fir{2, {rtp::FirEntry{0x3333, 1}}}}), kT0);
  e = sender.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<KeyframeRequested>(*e));
  EXPECT_EQ(std::get<KeyframeRequested>(*e).rid, "f");
}

// The answer took no simulcast: the first layer alone goes out plain, on its SSRC, no rid.
TEST(MediaSession, WithoutSimulcastInTheAnswerTheFirstLayerIsSentPlain) {
  MediaSession sender, receiver;
  SendingTrack t{"0", 0x1111, 96, std::nullopt, {}, {}, "q"};
  sender.set_sending({t});
  receiver.set_receiving({ReceivingTrack{"0", {0x1111}, 96, std::nullopt}});
  ASSERT_TRUE(sender.start(keys(false), 1));
  ASSERT_TRUE(receiver.start(keys(true), 2));
  const auto wire = sender.send_rtp("0", packet(5, bytes({7})), kT0, "q");
  ASSERT_TRUE(wire) << wire.error();
  receiver.handle_datagram(*wire, kT0);
  auto e = receiver.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<RtpReceived>(*e));
  const auto v = rtp::parse_packet(std::get<RtpReceived>(*e).packet);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->header.ssrc, 0x1111u);
  EXPECT_EQ(v->extensions.count, 0u);
  EXPECT_FALSE(sender.send_rtp("0", packet(6, bytes({7})), kT0, "f"));
}

// Receiver reports (RFC 3550 §6.4.2): a second after the first packet, one block per SSRC
// received — loss from the gap, the highest sequence, LSR/DLSR from the sender's last SR — and
// the CNAME behind it unless reduced-size RTCP was negotiated (§6.1, RFC 5506).
TEST(MediaSession, ReceiverReportsCarryLossAndTheSendersClock) {
  for (const bool rsize : {false, true}) {
    Pair p(std::nullopt, {0xA0A0A0A0});
    p.receiver.set_reduced_size_rtcp(rsize);
    ASSERT_TRUE(p.receiver.start(keys(true), 2, "cname-x"));
    EXPECT_FALSE(p.receiver.next_timeout());  // nothing received: nothing to report
    for (const std::uint16_t seq : {10, 11, 13, 14})  // 12 is lost
      p.receiver.handle_datagram(*p.sender.send_rtp("0", packet(seq, bytes({1})), kT0), kT0);
    ASSERT_TRUE(p.receiver.next_timeout());
    EXPECT_EQ(*p.receiver.next_timeout(), kT0 + MediaSession::kReportInterval);
    EXPECT_FALSE(p.receiver.poll_report(kT0 + Duration::millis(999)));

    // The sender's SR, protected as the sender would (its own SRTCP index).
    RtcpEnd sender_side(false);
    const std::uint64_t ntp = 0x0000'1234'5678'0000ULL;
    p.receiver.handle_datagram(sender_side.protect({rtp::SenderReport{0xA0A0A0A0, ntp, 960, 4, 4, {}}}),
                               kT0 + Duration::millis(500));

    const auto report = p.receiver.poll_report(kT0 + Duration::seconds(1));
    ASSERT_TRUE(report);
    EXPECT_EQ(p.receiver.reports_sent(), 1u);
    EXPECT_EQ(*p.receiver.next_timeout(), kT0 + Duration::seconds(2));
    const auto packets = sender_side.read(*report);  // the sender's side decrypts it
    ASSERT_EQ(packets.size(), rsize ? 1u : 2u);
    const auto* rr = std::get_if<rtp::ReceiverReport>(&packets.front());
    ASSERT_TRUE(rr);
    EXPECT_EQ(rr->ssrc, 2u);
    ASSERT_EQ(rr->reports.size(), 1u);
    const auto& b = rr->reports[0];
    EXPECT_EQ(b.ssrc, 0xA0A0A0A0u);
    EXPECT_EQ(b.cumulative_lost, 1);
    EXPECT_EQ(b.fraction_lost, 256 / 5);  // 1 of 5 expected
    EXPECT_EQ(b.highest_sequence & 0xFFFF, 14u);
    EXPECT_EQ(b.last_sr, 0x12345678u);  // the middle 32 bits of the SR's NTP time
    EXPECT_EQ(b.delay_since_last_sr, 65536u / 2);  // 500 ms in 1/65536 s
    if (!rsize) {
      const auto* sdes = std::get_if<rtp::Sdes>(&packets[1]);
      ASSERT_TRUE(sdes);
      EXPECT_EQ(rtp::first_cname(*sdes), "cname-x");
    }

    // Nothing heard since (§6.4.1: blocks are for sources heard since the last report): no
    // report, and none due until media arrives again — the connection's timer sleeps.
    EXPECT_FALSE(p.receiver.poll_report(kT0 + Duration::seconds(2)));
    EXPECT_FALSE(p.receiver.next_timeout());
    EXPECT_EQ(p.receiver.reports_sent(), 1u);
    const auto later = kT0 + Duration::millis(7'500);
    p.receiver.handle_datagram(*p.sender.send_rtp("0", packet(15, bytes({1})), later), later);
    ASSERT_TRUE(p.receiver.next_timeout());
    EXPECT_EQ(*p.receiver.next_timeout(), later + MediaSession::kReportInterval);
    const auto again = p.receiver.poll_report(later + MediaSession::kReportInterval);
    ASSERT_TRUE(again);
    const auto next = sender_side.read(*again);
    ASSERT_FALSE(next.empty());
    const auto* rr2 = std::get_if<rtp::ReceiverReport>(&next.front());
    ASSERT_TRUE(rr2);
    ASSERT_EQ(rr2->reports.size(), 1u);
    EXPECT_EQ(rr2->reports[0].highest_sequence & 0xFFFF, 15u);
    EXPECT_EQ(rr2->reports[0].fraction_lost, 0);  // nothing lost in this interval
  }
}

// Two sources, one falls silent: it is reported once more (its last packets), then left out.
TEST(MediaSession, ASilentSourceLeavesTheReports) {
  MediaSession a, b, receiver;
  a.set_sending({SendingTrack{"0", 0x1111, 111, std::nullopt}});
  b.set_sending({SendingTrack{"1", 0x2222, 111, std::nullopt}});
  receiver.set_receiving({ReceivingTrack{"0", {0x1111}, 111, std::nullopt},
                          ReceivingTrack{"1", {0x2222}, 111, std::nullopt}});
  ASSERT_TRUE(a.start(keys(false), 1));
  ASSERT_TRUE(b.start(keys(false), 3));
  ASSERT_TRUE(receiver.start(keys(true), 2));
  const auto blocks_at = [&](Timestamp t) {
    std::vector<std::uint32_t> ssrcs;
    const auto report = receiver.poll_report(t);
    if (!report) return ssrcs;
    const auto packets = RtcpEnd(false).read(*report);
    if (const auto* rr = packets.empty() ? nullptr : std::get_if<rtp::ReceiverReport>(&packets.front()))
      for (const auto& block : rr->reports) ssrcs.push_back(block.ssrc);
    return ssrcs;
  };
  std::uint16_t seq = 1;
  for (int ms = 0; ms < 1000; ms += 100) {
    const Timestamp t = kT0 + Duration::millis(ms);
    receiver.handle_datagram(*a.send_rtp("0", packet(seq, bytes({1})), t), t);
    receiver.handle_datagram(*b.send_rtp("1", packet(seq, bytes({1})), t), t);
    ++seq;
  }
  EXPECT_EQ(blocks_at(kT0 + Duration::seconds(1)), (std::vector<std::uint32_t>{0x1111, 0x2222}));
  // b stops; a goes on.
  for (int ms = 1000; ms < 2000; ms += 100) {
    const Timestamp t = kT0 + Duration::millis(ms);
    receiver.handle_datagram(*a.send_rtp("0", packet(seq++, bytes({1})), t), t);
  }
  EXPECT_EQ(blocks_at(kT0 + Duration::seconds(2)), (std::vector<std::uint32_t>{0x1111}));
}

// Sender reports (RFC 3550 §6.4.1) over a wire with 15 ms each way: the sender's wall clock and
// the RTP time of that instant in the codec's clock, its counts and CNAME; the receiver's next
// block names that SR, and the sender reads a 30 ms round trip from it. Two intervals after the
// last packet the SRs stop and nothing more is due. Without a wall clock, no SR at all.
TEST(MediaSession, SenderReportsAndTheRoundTripOfTheBlocksThatComeBack) {
  {
    Pair no_clock(std::nullopt, {0xA0A0A0A0});
    ASSERT_TRUE(no_clock.sender.send_rtp("0", packet(1, bytes({1})), kT0));
    EXPECT_FALSE(no_clock.sender.next_timeout());
    EXPECT_FALSE(no_clock.sender.poll_report(kT0 + Duration::seconds(5)));
  }
  MediaSession sender, receiver;
  SendingTrack track{"0", 0xA0A0A0A0, 111, std::nullopt};
  track.clock_rate = 48'000;
  sender.set_sending({track});
  receiver.set_receiving({ReceivingTrack{"0", {0xA0A0A0A0}, 111, std::nullopt, 48'000}});
  ASSERT_TRUE(sender.start(keys(false), 1, "sender-cname"));
  ASSERT_TRUE(receiver.start(keys(true), 2));
  const std::uint64_t ntp0 = std::uint64_t{0xE000'0000} << 32;
  sender.set_wallclock(kT0, ntp0);
  receiver.set_wallclock(kT0, ntp0 + (std::uint64_t{7} << 32));  // another clock: no matter

  const Duration one_way = Duration::millis(15);
  std::deque<std::pair<Timestamp, std::vector<std::byte>>> to_receiver, to_sender;
  RtcpEnd reader(true);  // reads what the sender writes
  std::vector<rtp::SenderReport> srs;
  std::uint16_t seq = 0;
  for (Timestamp t = kT0; t < kT0 + Duration::seconds(6); t = t + Duration::millis(5)) {
    while (!to_receiver.empty() && to_receiver.front().first <= t) {
      receiver.handle_datagram(to_receiver.front().second, t);
      to_receiver.pop_front();
    }
    while (!to_sender.empty() && to_sender.front().first <= t) {
      sender.handle_datagram(to_sender.front().second, t);
      to_sender.pop_front();
    }
    while (auto r = sender.poll_report(t)) {
      for (const auto& packet : reader.read(*r)) {
        if (const auto* sr = std::get_if<rtp::SenderReport>(&packet)) srs.push_back(*sr);
        if (const auto* sdes = std::get_if<rtp::Sdes>(&packet)) {
          EXPECT_EQ(rtp::first_cname(*sdes), "sender-cname");
        }
      }
      to_receiver.emplace_back(t + one_way, std::move(*r));
    }
    while (auto r = receiver.poll_report(t)) to_sender.emplace_back(t + one_way, std::move(*r));
    // 20 ms Opus-like packets (960 ticks at 48 kHz) for 2.5 s.
    if ((t - kT0).ms() % 20 == 0 && t < kT0 + Duration::millis(2500)) {
      auto wire = sender.send_rtp("0", packet(seq, bytes({1, 2})), t);
      ASSERT_TRUE(wire) << wire.error();
      ++seq;
      to_receiver.emplace_back(t + one_way, std::move(*wire));
    }
  }
  // Reports at 1, 2, 3 and 4 s (the last packet went at 2.48 s; 5 s is two intervals past it).
  ASSERT_EQ(srs.size(), 4u);
  const auto& first = srs.front();
  EXPECT_EQ(first.ssrc, 0xA0A0A0A0u);
  EXPECT_EQ(first.ntp_time, ntp0 + (std::uint64_t{1} << 32));  // 1 s after the clock was given
  EXPECT_EQ(first.rtp_time, 48'000u);  // the last packet (0.98 s, 47 040) moved on by 20 ms
  EXPECT_EQ(first.packet_count, 50u);
  EXPECT_EQ(first.octet_count, 100u);  // payload octets
  EXPECT_EQ(srs.back().packet_count, 125u);
  EXPECT_FALSE(sender.next_timeout());
  EXPECT_FALSE(receiver.next_timeout());

  const auto& c = sender.counters().at("0");
  EXPECT_EQ(c.sender_reports_sent, 4u);
  EXPECT_GE(c.report_blocks_received, 3u);
  EXPECT_EQ(c.remote_packets_lost, 0);
  ASSERT_TRUE(c.round_trip);
  EXPECT_NEAR(static_cast<double>(c.round_trip->us()), 30'000.0, 100.0);  // 1/65536 s units
}

// Generic NACK (RFC 4585 §6.2.1): a video sender keeps what it sent and sends a lost packet again
// as first sent (the same SRTP packet, which the receiver never had); not again for a NACK
// repeated at once, not when older than a second, not for audio (no history), not for numbers
// it never sent.
TEST(MediaSession, ANackBringsLostPacketsBackAsFirstSent) {
  MediaSession sender, receiver;
  SendingTrack video{"0", 0xA0A0A0A0, 96, std::nullopt};
  video.history = 64;
  sender.set_sending({video, SendingTrack{"1", 0xB0B0B0B0, 111, std::nullopt}});
  receiver.set_receiving({ReceivingTrack{"0", {0xA0A0A0A0}, 96, std::nullopt},
                          ReceivingTrack{"1", {0xB0B0B0B0}, 111, std::nullopt}});
  ASSERT_TRUE(sender.start(keys(false), 1));
  ASSERT_TRUE(receiver.start(keys(true), 2));
  std::vector<std::vector<std::byte>> wire;
  for (std::uint16_t seq = 100; seq < 110; ++seq) {
    wire.push_back(*sender.send_rtp("0", packet(seq, bytes({seq & 0xff})), kT0));
    if (seq != 103 && seq != 105) receiver.handle_datagram(wire.back(), kT0);
  }
  ASSERT_TRUE(sender.send_rtp("1", packet(7, bytes({1})), kT0));
  while (receiver.poll_event()) {
  }
  RtcpEnd receiver_side(true);
  const auto nack = [&](std::uint32_t ssrc, std::vector<std::uint16_t> lost) {
    return receiver_side.protect({rtp::GenericNack{2, ssrc, rtp::nack_items(lost)}});
  };
  sender.handle_datagram(nack(0xA0A0A0A0, {103, 105, 50}), kT0 + Duration::millis(30));  // 50: never sent
  const auto first = sender.poll_retransmit();
  const auto second = sender.poll_retransmit();
  ASSERT_TRUE(first && second);
  EXPECT_FALSE(sender.poll_retransmit());
  EXPECT_EQ(*first, wire[3]);
  EXPECT_EQ(*second, wire[5]);
  receiver.handle_datagram(*first, kT0 + Duration::millis(40));
  auto e = receiver.poll_event();
  ASSERT_TRUE(e && std::holds_alternative<RtpReceived>(*e));
  EXPECT_EQ(rtp::parse_packet(std::get<RtpReceived>(*e).packet)->header.sequence, 103);

  // The same NACK 5 ms later (before our answer could have reached it): nothing again.
  sender.handle_datagram(nack(0xA0A0A0A0, {103, 105}), kT0 + Duration::millis(35));
  EXPECT_FALSE(sender.poll_retransmit());
  // Later, still missing: again.
  sender.handle_datagram(nack(0xA0A0A0A0, {105}), kT0 + Duration::millis(100));
  EXPECT_TRUE(sender.poll_retransmit());
  // Over a second old: the receiver could not play it any more.
  sender.handle_datagram(nack(0xA0A0A0A0, {105}), kT0 + Duration::millis(1100));
  EXPECT_FALSE(sender.poll_retransmit());
  // Audio keeps no history.
  sender.handle_datagram(nack(0xB0B0B0B0, {7}), kT0 + Duration::millis(40));
  EXPECT_FALSE(sender.poll_retransmit());

  EXPECT_EQ(sender.counters().at("0").nacks_received, 4u);
  EXPECT_EQ(sender.counters().at("0").retransmitted_packets, 3u);
  EXPECT_EQ(sender.counters().at("1").nacks_received, 1u);
  EXPECT_EQ(sender.counters().at("1").retransmitted_packets, 0u);
}

// The largest report round: five SSRCs sending (four simulcast layers and a microphone), 40
// heard, a 200-byte CNAME. Every compound fits a datagram: the SRs go four to a compound, the
// first carries 31 blocks and the other 9 wait for the next round; the CNAME is cut to 64.
TEST(MediaSession, AFullReportRoundFitsItsDatagrams) {
  MediaSession big, remote;
  SendingTrack cam{"0", 0, 96, std::nullopt};
  cam.layers = {SendingLayer{"a", 0x2001}, SendingLayer{"b", 0x2002}, SendingLayer{"c", 0x2003}, SendingLayer{"d", 0x2004}};
  big.set_sending({cam, SendingTrack{"1", 0x3000, 111, std::nullopt}});
  std::vector<SendingTrack> theirs;
  std::vector<ReceivingTrack> heard;
  for (std::uint32_t i = 0; i < 40; ++i) {
    theirs.push_back(SendingTrack{"r" + std::to_string(i), 0x1000 + i, 96, std::nullopt});
    heard.push_back(ReceivingTrack{"r" + std::to_string(i), {0x1000 + i}, 96, std::nullopt});
  }
  remote.set_sending(theirs);
  big.set_receiving(heard);
  ASSERT_TRUE(big.start(keys(false), 1, std::string(200, 'n')));
  ASSERT_TRUE(remote.start(keys(true), 2));
  big.set_wallclock(kT0, std::uint64_t{0xE000'0000} << 32);
  for (const auto& t : theirs) big.handle_datagram(*remote.send_rtp(t.mid, packet(1, bytes({1})), kT0), kT0);
  for (const char* rid : {"a", "b", "c", "d"}) ASSERT_TRUE(big.send_rtp("0", packet(1, bytes({1})), kT0, rid));
  ASSERT_TRUE(big.send_rtp("1", packet(1, bytes({1})), kT0));

  RtcpEnd reader(true);
  auto round = [&](Timestamp t) {
    std::size_t srs = 0, blocks = 0, compounds = 0;
    while (auto d = big.poll_report(t)) {
      ++compounds;
      EXPECT_LE(d->size(), srtp::kMaxPacket);
      for (const auto& p : reader.read(*d)) {
        if (const auto* sr = std::get_if<rtp::SenderReport>(&p)) {
          ++srs;
          blocks += sr->reports.size();
        }
        if (const auto* rr = std::get_if<rtp::ReceiverReport>(&p)) blocks += rr->reports.size();
        if (const auto* sdes = std::get_if<rtp::Sdes>(&p)) {
          EXPECT_EQ(rtp::first_cname(*sdes), std::string(64, 'n'));
        }
      }
    }
    return std::tuple(compounds, srs, blocks);
  };
  EXPECT_EQ(round(kT0 + Duration::seconds(1)), std::tuple(std::size_t{2}, std::size_t{5}, std::size_t{31}));
  // Two seconds after their last packet our SSRCs send no SR: the 9 blocks left go in an RR.
  EXPECT_EQ(round(kT0 + Duration::seconds(2)), std::tuple(std::size_t{1}, std::size_t{0}, std::size_t{9}));
  EXPECT_EQ(big.report_errors(), 0u);
}

// A receiver that negotiated NACK asks for what is missing (RFC 4585 §6.2.1, after the 5 ms
// reorder wait), the sender's history answers, and the gap closes; a number that never comes is
// asked for three times, 50 ms apart, then given up. Without NACK negotiated, nothing is asked.
TEST(MediaSession, AReceiverNacksWhatIsMissingAndTheSenderRepairsIt) {
  MediaSession sender, receiver, plain;
  SendingTrack video{"0", 0xA0A0A0A0, 96, std::nullopt};
  video.history = 64;
  sender.set_sending({video});
  ReceivingTrack track{"0", {0xA0A0A0A0}, 96, std::nullopt};
  plain.set_receiving({track});
  track.nack = true;
  receiver.set_receiving({track});
  ASSERT_TRUE(sender.start(keys(false), 1));
  ASSERT_TRUE(receiver.start(keys(true), 2));
  ASSERT_TRUE(plain.start(keys(true), 3));
  std::vector<std::vector<std::byte>> wire;
  for (std::uint16_t seq = 1; seq <= 10; ++seq) {
    wire.push_back(*sender.send_rtp("0", packet(seq, bytes({1})), kT0));
    if (seq == 4 || seq == 5 || seq == 8) continue;  // lost on the way
    receiver.handle_datagram(wire.back(), kT0);
    plain.handle_datagram(wire.back(), kT0);
  }
  ASSERT_TRUE(receiver.next_timeout());
  EXPECT_EQ(*receiver.next_timeout(), kT0 + Duration::millis(5));  // before the report's 1 s
  EXPECT_FALSE(receiver.poll_feedback(kT0 + Duration::millis(4)));
  const auto nack = receiver.poll_feedback(kT0 + Duration::millis(5));
  ASSERT_TRUE(nack);
  EXPECT_FALSE(receiver.poll_feedback(kT0 + Duration::millis(5)));
  const auto packets = RtcpEnd(false).read(*nack);
  ASSERT_EQ(packets.size(), 2u);  // behind an empty RR (no rtcp-rsize)
  const auto* n = std::get_if<rtp::GenericNack>(&packets[1]);
  ASSERT_TRUE(n);
  EXPECT_EQ(n->media_ssrc, 0xA0A0A0A0u);
  EXPECT_EQ(rtp::nack_sequences(*n), (std::vector<std::uint16_t>{4, 5, 8}));

  // The sender answers all three; 8's retransmission is lost too.
  sender.handle_datagram(*nack, kT0 + Duration::millis(10));
  std::vector<std::vector<std::byte>> again;
  while (auto d = sender.poll_retransmit()) again.push_back(std::move(*d));
  ASSERT_EQ(again.size(), 3u);
  while (receiver.poll_event()) {
  }
  receiver.handle_datagram(again[0], kT0 + Duration::millis(15));
  receiver.handle_datagram(again[1], kT0 + Duration::millis(15));
  for (const std::uint16_t repaired : {4, 5}) {
    auto e = receiver.poll_event();
    ASSERT_TRUE(e && std::holds_alternative<RtpReceived>(*e));
    EXPECT_EQ(rtp::parse_packet(std::get<RtpReceived>(*e).packet)->header.sequence, repaired);
  }
  EXPECT_EQ(receiver.dropped(), 0u);
  std::vector<std::uint16_t> asked;
  for (const int ms : {55, 105, 155, 205}) {
    if (auto d = receiver.poll_feedback(kT0 + Duration::millis(ms)))
      for (const auto& p : RtcpEnd(false).read(*d))
        if (const auto* x = std::get_if<rtp::GenericNack>(&p))
          for (const auto q : rtp::nack_sequences(*x)) asked.push_back(q);
  }
  EXPECT_EQ(asked, (std::vector<std::uint16_t>{8, 8}));  // tries two and three, then given up
  EXPECT_EQ(receiver.counters().at("0").nacks_sent, 3u);
  // Only the report is due now.
  ASSERT_TRUE(receiver.next_timeout());
  EXPECT_EQ(*receiver.next_timeout(), kT0 + MediaSession::kReportInterval);

  EXPECT_EQ(*plain.next_timeout(), kT0 + MediaSession::kReportInterval);
  EXPECT_FALSE(plain.poll_feedback(kT0 + Duration::millis(500)));
}

// A peer NACKing everything as fast as the resend spacing allows gets at most 512
// retransmissions a second from us, then waits for the next second.
TEST(MediaSession, RetransmissionsHaveABudgetPerSecond) {
  MediaSession sender;
  SendingTrack video{"0", 0xA0A0A0A0, 96, std::nullopt};
  video.history = 64;
  sender.set_sending({video});
  ASSERT_TRUE(sender.start(keys(false), 1));
  std::vector<std::uint16_t> all;
  for (std::uint16_t seq = 0; seq < 64; ++seq) {
    ASSERT_TRUE(sender.send_rtp("0", packet(seq, bytes({1})), kT0));
    all.push_back(seq);
  }
  RtcpEnd receiver_side(true);
  std::size_t resent = 0;
  for (int round = 0; round < 12; ++round) {  // every 25 ms: past the 20 ms spacing each time
    sender.handle_datagram(receiver_side.protect({rtp::GenericNack{2, 0xA0A0A0A0, rtp::nack_items(all)}}),
                           kT0 + Duration::millis(25 * round));
    while (sender.poll_retransmit()) ++resent;
  }
  EXPECT_EQ(resent, 512u);
  // Still within a second of the packets: the next window resends again.
  sender.handle_datagram(receiver_side.protect({rtp::GenericNack{2, 0xA0A0A0A0, rtp::nack_items(all)}}),
                         kT0 + Duration::millis(999));
  EXPECT_FALSE(sender.poll_retransmit());
  sender.handle_datagram(receiver_side.protect({rtp::GenericNack{2, 0xA0A0A0A0, rtp::nack_items(all)}}),
                         kT0 + Duration::millis(1000));
  EXPECT_TRUE(sender.poll_retransmit());
}

}  // namespace
}  // namespace peerkit::peer
