// The native peer's media half (src/peer/media_session.h) against a hostile but authenticated
// remote: the remote holds the SRTP keys (it did the DTLS handshake), so what it sends decrypts
// and reaches the RTP/RTCP handling. The input scripts a connection: the tracks negotiated, then
// datagrams the remote protects (RTP or RTCP plaintext of its choosing) or sends raw, keyframe
// requests and sends of ours in between. Nothing may crash, read out of bounds or grow beyond
// its bounds; every event names a track that exists.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "peer/media_session.h"
#include "rtp/packet.h"
#include "srtp/session.h"
#include "support/srtp_test_keys.h"

namespace {
using namespace peerkit;
using namespace peerkit::peer;

void check(bool ok) {
  if (!ok) std::abort();
}

srtp::Keys keys(bool mirrored) { return testing::srtp_test_keys(mirrored); }

struct Reader {
  const std::uint8_t* p;
  std::size_t n;
  std::uint8_t byte() {
    if (n == 0) return 0;
    --n;
    return *p++;
  }
  std::uint32_t u32() { return (std::uint32_t{byte()} << 24) | (std::uint32_t{byte()} << 16) | (std::uint32_t{byte()} << 8) | byte(); }
  std::vector<std::byte> bytes(std::size_t count) {
    count = std::min(count, n);
    std::vector<std::byte> out(count);
    for (auto& b : out) b = std::byte{byte()};
    return out;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in{data, size};
  MediaSession ours;
  auto remote = srtp::Session::create(keys(true));  // the remote's contexts: it protects for us
  check(remote.has_value());

  // Tracks: up to 3 sending and 3 receiving, mids "0".."5", SSRCs and extension ids from the input.
  std::vector<SendingTrack> sending;
  std::vector<ReceivingTrack> receiving;
  for (int i = 0, n = in.byte() % 4; i < n; ++i)
    sending.push_back({std::to_string(i), in.u32(), static_cast<std::uint8_t>(in.byte() & 0x7f),
                       in.byte() % 2 ? std::optional<std::uint8_t>(in.byte() % 16) : std::nullopt});
  for (int i = 0, n = in.byte() % 4; i < n; ++i) {
    ReceivingTrack t{std::to_string(3 + i), {}, std::nullopt, std::nullopt};
    for (int s = 0, k = in.byte() % 3; s < k; ++s) t.ssrcs.push_back(in.u32());
    if (in.byte() % 2) t.payload_type = static_cast<std::uint8_t>(in.byte() & 0x7f);
    if (in.byte() % 2) t.mid_extension = static_cast<std::uint8_t>(in.byte() % 16);
    t.nack = in.byte() % 2;  // we NACK its gaps
    if (in.byte() % 2) {  // RTX restored to one announced (or not) media SSRC
      t.rtx_payload_type = static_cast<std::uint8_t>(in.byte() & 0x7f);
      const std::uint32_t rtx = in.u32();
      t.rtx_ssrcs.emplace_back(rtx, in.u32());
    }
    if (in.byte() % 2) t.twcc_extension = static_cast<std::uint8_t>(in.byte() % 16);  // fed back
    receiving.push_back(std::move(t));
  }
  for (auto& t : sending) {
    t.history = in.byte() % 2 ? 8 : 0;  // NACK retransmission on some
    if (in.byte() % 2)  // simulcast, four layers: with three tracks, 12 SSRCs sending reports
      for (const char* rid : {"a", "b", "c", "d"}) t.layers.push_back(SendingLayer{rid, in.u32()});
  }
  ours.set_sending(sending);
  ours.set_receiving(receiving);
  ours.set_reduced_size_rtcp(in.byte() % 2);
  // A CNAME up to 200 bytes: the session keeps 64 so that a report compound still fits.
  check(ours.start(keys(false), 1, std::string(in.byte() % 2 ? 200 : 0, 'c')).has_value());
  if (in.byte() % 2) {
    const std::uint64_t low = in.u32();  // two statements: the reads in a fixed order
    const std::uint64_t high = in.u32();
    ours.set_wallclock(Timestamp::from_micros(1'000'000), low | (high << 32));
  }

  std::vector<std::byte> buffer(srtp::kMaxPacket + srtp::kMaxOverhead);
  Timestamp now = Timestamp::from_micros(1'000'000);
  for (int step = 0; step < 64 && in.n > 0; ++step) {
    const std::uint8_t op = in.byte();
    // Time moves on by up to 1.3 s a step; due reports are built and each must be SRTCP (the
    // sender reports with the blocks come in a few compounds at most).
    now = now + Duration::millis(in.byte() * 5);
    int compounds = 0;
    while (auto report = ours.poll_report(now)) {
      check(report->size() <= srtp::kMaxPacket + srtp::kMaxOverhead && rtp::is_rtcp(*report));
      check(++compounds <= 4);
    }
    // At most one NACK per remote SSRC (≤ 64) and the TWCC reports that cover the window of
    // numbers kept (a jump makes a run of them) per moment.
    constexpr int kMaxFeedback = 64 + static_cast<int>(rtp::TwccFeedback::kWindow / rtp::TwccFeedback::kMaxPacketsPerReport) + 2;
    int feedback = 0;
    while (auto nack = ours.poll_feedback(now)) {
      check(nack->size() <= srtp::kMaxPacket + srtp::kMaxOverhead && rtp::is_rtcp(*nack));
      check(++feedback <= kMaxFeedback);
    }
    if (const auto next = ours.next_timeout()) check(*next > now);
    const std::size_t length = in.byte() * 8u + in.byte() % 8u;
    switch (op % 6) {
      case 0:
      case 1: {  // the remote protects RTP (0) or RTCP (1) plaintext of its choosing
        auto plain = in.bytes(std::min<std::size_t>(length, srtp::kMaxPacket));
        std::copy(plain.begin(), plain.end(), buffer.begin());
        const MutableByteSpan b(buffer.data(), buffer.size());
        auto n = op % 6 == 0 ? (*remote)->protect_rtp(b, plain.size()) : (*remote)->protect_rtcp(b, plain.size());
        if (n) ours.handle_datagram(ByteSpan(buffer.data(), *n), now);
        break;
      }
      case 2: {  // anything, unprotected
        auto raw = in.bytes(length);
        ours.handle_datagram(raw, now);
        break;
      }
      case 3: {  // a send of ours: any bytes as the application's packet
        auto packet = in.bytes(std::min<std::size_t>(length, 1600));
        const std::string rid(1, static_cast<char>('a' + op / 36 % 5));  // "e": no such layer
        auto sent = ours.send_rtp(std::to_string(op / 6 % 6), packet, now, op % 2 ? std::string_view(rid) : std::string_view());
        if (sent) check(sent->size() <= srtp::kMaxPacket + srtp::kMaxOverhead);
        break;
      }
      case 4:
        (void)ours.keyframe_request(std::to_string(op / 6 % 6));
        break;
      case 5:  // a renegotiation drops a receiving track, or adds one (perhaps an old SSRC again)
        if (!receiving.empty() && op % 2) {
          receiving.pop_back();
        } else if (receiving.size() < 6) {
          ReceivingTrack t{std::to_string(3 + receiving.size()), {in.u32()}, std::nullopt, std::uint8_t{1}};
          receiving.push_back(std::move(t));
        }
        ours.set_receiving(receiving);
        break;
    }
    // A NACK's retransmissions are packets we sent, SRTP-sized, and bounded in number.
    std::size_t resent = 0;
    while (auto d = ours.poll_retransmit()) {
      check(d->size() <= srtp::kMaxPacket + srtp::kMaxOverhead && !rtp::is_rtcp(*d));
      check(++resent <= 256);
    }
    while (auto e = ours.poll_event()) {
      if (const auto* r = std::get_if<RtpReceived>(&*e)) {
        bool known = false;
        for (const auto& t : receiving) known |= t.mid == r->mid;
        check(known);
        check(r->packet.size() <= srtp::kMaxPacket + srtp::kMaxOverhead);
        // What reaches the application is media of the answered type, RTX restored included.
        const auto v = rtp::parse_packet(r->packet);
        check(v.has_value());
        for (const auto& t : receiving)
          if (t.mid == r->mid && t.payload_type) check(v->header.payload_type == *t.payload_type);
      } else {
        const auto& k = std::get<KeyframeRequested>(*e);
        bool known = false;
        for (const auto& t : sending) known |= t.mid == k.mid;
        check(known);
      }
    }
  }
  check(ours.report_errors() == 0);
  return 0;
}
