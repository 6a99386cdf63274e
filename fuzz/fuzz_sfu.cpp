// Stateful fuzzer for the SFU routing core (src/sfu/router.h): the input is a script of joins,
// leaves, subscriptions, layer changes, RTP (synthesized from script bytes or raw), RTCP (NACK,
// PLI, FIR or raw) and clock advances with timer expiries. Nothing may crash, and after every
// step the outputs must hold the invariants:
//   - every RTP output parses and goes to a participant that subscribes with that SSRC (its
//     primary SSRC with its payload type, or its RTX SSRC with the RTX payload type);
//   - every RTCP output parses and goes to a publisher of a live track;
//   - histories stay within their packet cap;
//   - while only synthesized packets flow (steps of −2 … +3 per layer), no subscriber's primary
//     stream jumps by more than the history cap plus a margin (switches are contiguous; a
//     resend without RTX may repeat an old number).
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include "rtp/packet.h"
#include "rtp/rtcp.h"
#include "rtp/vp8.h"
#include "sfu/bandwidth_estimator.h"
#include "sfu/router.h"
#include "sfu/speaker_detector.h"

namespace {
using namespace peerkit;
using namespace peerkit::sfu;

// An invariant that fails names itself before the abort (libFuzzer keeps the input).
#define CHECK(cond)                                                              \
  do {                                                                           \
    if (!(cond)) {                                                               \
      std::fprintf(stderr, "invariant failed: %s (line %d)\n", #cond, __LINE__); \
      std::abort();                                                              \
    }                                                                            \
  } while (0)

class Script {
 public:
  Script(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  bool done() const { return i_ >= n_; }
  std::uint8_t u8() { return i_ < n_ ? d_[i_++] : 0; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(u8() << 8 | u8()); }
  ByteSpan bytes(std::size_t max) {
    std::size_t len = std::min<std::size_t>(u8() % (max + 1), n_ - std::min(i_, n_));
    ByteSpan s(reinterpret_cast<const std::byte*>(d_ + i_), len);
    i_ += len;
    return s;
  }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t i_ = 0;
};

rtp::ExtensionMap publisher_map() {
  rtp::ExtensionMap m;
  (void)m.add(1, rtp::ExtensionKind::kMid);
  (void)m.add(2, rtp::ExtensionKind::kRid);
  (void)m.add(3, rtp::ExtensionKind::kTransportWideCc);
  (void)m.add(4, rtp::ExtensionKind::kRepairedRid);
  return m;
}

struct SubModel {
  ParticipantId who;
  std::uint32_t track;
  std::uint32_t ssrc;
  std::uint8_t pt;
  std::uint32_t rtx_ssrc;
  std::uint8_t rtx_pt;
  std::optional<std::uint16_t> last_seq;
};

struct LayerSeq {
  std::uint16_t seq = 0;
  std::uint32_t ts = 0;
  std::uint16_t pic = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Script s(data, size);
  Router router;
  // A subscriber connection's estimate, fed scripted sends and hostile TWCC feedback.
  BandwidthEstimator bwe({});
  SpeakerDetector speakers({.loudest = 2, .max_participants = 3});
  Timestamp now = Timestamp::from_micros(1'000'000);
  std::map<std::uint32_t, SubModel> subs;                // by SubscriptionId
  std::map<std::uint32_t, ParticipantId> tracks;         // TrackId → publisher
  std::map<std::pair<std::string, int>, LayerSeq> seqs;  // (publisher/mid, layer)
  std::uint32_t next_ssrc = 0x1000;
  bool raw_rtp = false;
  std::array<std::byte, 1500> buf{};

  auto drain = [&] {
    while (auto o = router.poll_output()) {
      if (o->rtcp) {
        auto packets = rtp::parse_compound(o->bytes);
        CHECK(packets.has_value());
        bool publisher = false;
        for (const auto& [t, p] : tracks) publisher |= p == o->to;
        // A subscriber gets sender reports only, each about one of its own streams.
        for (const auto& p : *packets) {
          const auto* sr = std::get_if<rtp::SenderReport>(&p);
          if (!sr) {
            CHECK(publisher);
            continue;
          }
          bool own = false;
          for (const auto& [id, m] : subs) own |= m.who == o->to && m.ssrc == sr->ssrc;
          CHECK(own);
        }
        continue;
      }
      auto v = rtp::parse_packet(o->bytes);
      CHECK(v.has_value());
      bool matched = false;
      for (auto& [id, m] : subs) {
        if (m.who != o->to) continue;
        if (v->header.ssrc == m.ssrc) {
          CHECK(v->header.payload_type == m.pt);
          if (!raw_rtp && m.last_seq) {
            const int d = rtp::seq_delta(v->header.sequence, *m.last_seq);
            // Bound: a resend without RTX repeats a packet up to the history cap (1 024) back.
            CHECK(d > -1500 && d < 1500);
          }
          m.last_seq = v->header.sequence;
          matched = true;
        } else if (v->header.ssrc == m.rtx_ssrc) {
          CHECK(v->header.payload_type == m.rtx_pt);
          matched = true;
        }
      }
      CHECK(matched);
    }
    for (const auto& [id, m] : subs) {
      const PacketHistory* h = router.history(SubscriptionId{id});
      CHECK(h != nullptr && h->size() <= h->config().max_packets);
    }
  };

  while (!s.done()) {
    const std::uint8_t op = s.u8() % 13;
    const ParticipantId who{1u + s.u8() % 4u};
    switch (op) {
      case 0: {  // publish a track
        TrackParams t;
        t.publisher = who;
        t.mid = std::to_string(s.u8() % 3);
        const std::uint8_t kind = s.u8();
        t.codec = kind & 1 ? Codec::kOpus : Codec::kVp8;
        t.clock_rate = t.codec == Codec::kOpus ? 48'000 : 90'000;
        if (kind & 2) t.rids = {"q", "h", "f"};
        t.use_fir = kind & 4;
        t.nack = kind & 8;  // the publisher leg's NACK and RTX (router_repair.cpp)
        t.rtx_payload_type = 97;
        t.extensions = publisher_map();
        if (auto id = router.add_track(std::move(t))) {
          tracks[id->value] = who;
        }
        break;
      }
      case 1: {  // subscribe
        const TrackId track{1u + s.u8() % 8u};
        SubscriberParams p;
        p.ssrc = next_ssrc++;
        p.payload_type = 96 + s.u8() % 8;
        p.rtx_ssrc = s.u8() & 1 ? next_ssrc++ : 0;
        p.rtx_payload_type = 110;
        (void)p.extensions.add(5, rtp::ExtensionKind::kMid);
        if (s.u8() & 1) (void)p.extensions.add(9, rtp::ExtensionKind::kTransportWideCc);
        p.mid = "s";
        const std::uint8_t l = s.u8();
        std::optional<int> layer = l % 4 == 3 ? std::nullopt : std::optional<int>(l % 4);
        OutboundStream::Config seeds{0, s.u16(), s.u16(), s.u16(), s.u8()};
        SubModel m{who,        track.value,        p.ssrc,      p.payload_type,
                   p.rtx_ssrc, p.rtx_payload_type, std::nullopt};
        if (auto id = router.subscribe(who, track, p, layer, seeds, s.u16())) subs[id->value] = m;
        break;
      }
      case 2: {  // unsubscribe
        const std::uint32_t id = 1u + s.u8() % 16u;
        router.unsubscribe(SubscriptionId{id});
        subs.erase(id);
        break;
      }
      case 3: {  // leave
        router.remove_participant(who);
        // Its subscriptions go, and so do the others' subscriptions to its tracks.
        std::erase_if(subs, [&](const auto& kv) {
          auto t = tracks.find(kv.second.track);
          return kv.second.who == who || (t != tracks.end() && t->second == who);
        });
        std::erase_if(tracks, [&](const auto& kv) { return kv.second == who; });
        break;
      }
      case 4: {  // synthesized RTP of a publisher's layer
        const std::string mid = std::to_string(s.u8() % 3);
        const int layer = s.u8() % 3;
        const std::uint8_t f = s.u8();
        LayerSeq& ls = seqs[{std::to_string(who.value) + "/" + mid, layer}];
        ls.seq = static_cast<std::uint16_t>(ls.seq + (f % 6) - 2);
        if (f & 0x40) {
          ls.ts += 3000;
          ls.pic = (ls.pic + 1) & 0x7fff;
        }
        rtp::Vp8Descriptor d;
        d.extended = true;
        d.start_of_partition = true;
        d.has_picture_id = true;
        d.picture_id_15bit = true;
        d.picture_id = ls.pic;
        d.has_tl0picidx = true;
        std::array<std::byte, 16> payload{};
        auto n = rtp::write_vp8_descriptor(d, payload);
        payload[*n] = std::byte(f & 0x80 ? 0x00 : 0x01);  // keyframe bit
        const std::string rid(1, "qhf"[layer]);
        std::array<rtp::Extension, 2> ext{{{1, as_bytes(mid)}, {2, as_bytes(rid)}}};
        rtp::PacketBuild b;
        b.header.payload_type = 96;
        b.header.sequence = ls.seq;
        b.header.timestamp = ls.ts;
        b.header.ssrc = who.value * 100 + static_cast<std::uint32_t>(layer) * 10 +
                        static_cast<std::uint32_t>(mid[0] - '0');
        b.extensions = ext;
        b.payload = std::span(payload).first(*n + 4);
        std::array<std::byte, 18> rtx_payload{};
        if (f & 0x20) {  // the same packet as a retransmission on the layer's RTX stream
          const std::uint16_t osn = static_cast<std::uint16_t>(ls.seq - (s.u8() % 8));
          rtx_payload[0] = std::byte(osn >> 8);
          rtx_payload[1] = std::byte(osn & 0xff);
          std::copy_n(payload.begin(), *n + 4, rtx_payload.begin() + 2);
          ext[1] = {4, as_bytes(rid)};  // repaired-rid
          b.header.payload_type = 97;
          b.header.ssrc += 5;
          b.header.sequence = s.u16();
          b.payload = std::span(rtx_payload).first(*n + 6);
        }
        auto size = rtp::build_packet(b, buf);
        CHECK(size.has_value());
        router.handle_rtp(now, who, std::span(buf).first(*size));
        break;
      }
      case 5:  // raw RTP
        raw_rtp = true;
        router.handle_rtp(now, who, s.bytes(255));
        break;
      case 6: {  // RTCP from a subscriber: NACK, PLI, FIR for one of its SSRCs, or raw
        const std::uint8_t k = s.u8();
        std::uint32_t media = 0x1000 + s.u8() % 32;
        std::array<rtp::RtcpPacket, 1> p;
        if (k % 4 == 0) {
          std::vector<std::uint16_t> lost;
          for (int i = s.u8() % 8; i > 0; --i) lost.push_back(s.u16());
          p[0] = rtp::GenericNack{1, media, rtp::nack_items(lost)};
        } else if (k % 4 == 1) {
          p[0] = rtp::Pli{1, media};
        } else if (k % 4 == 2) {
          p[0] = rtp::Fir{1, {rtp::FirEntry{media, s.u8()}}};
        } else if (k % 16 == 3) {  // a publisher's clock, for a layer SSRC (who × 100 + layer × 10)
          const std::uint32_t ssrc = who.value * 100 + (s.u8() % 3u) * 10 + s.u8() % 4u;
          p[0] = rtp::SenderReport{ssrc, (std::uint64_t{s.u16()} << 32) | s.u16(), s.u16() * 1000u, 0, 0, {}};
        } else if (k % 16 == 7) {  // a subscriber's block, naming a stream and any LSR / DLSR
          rtp::ReportBlock b;
          b.ssrc = media;
          b.last_sr = s.u8() & 1 ? s.u16() : (std::uint32_t{s.u16()} << 16) | s.u16();
          b.delay_since_last_sr = s.u16();
          b.fraction_lost = s.u8();
          p[0] = rtp::ReceiverReport{1, {b}};
        } else {
          router.handle_rtcp(now, who, s.bytes(255));
          break;
        }
        auto n = rtp::build_compound(p, buf);
        if (n) router.handle_rtcp(now, who, std::span(buf).first(*n));
        break;
      }
      case 7: {  // time passes
        now = now + Duration::micros(static_cast<std::int64_t>(s.u16()) * 50);
        const Timestamp next = router.next_timeout();
        if (next <= now) {
          router.handle_timeout(now);
          CHECK(router.next_timeout() > now);  // what is due was done: the driver must not spin
        }
        break;
      }
      case 9: {  // packets sent on a subscriber connection
        const std::uint16_t first = s.u16();
        const int n = s.u8() % 64;
        for (int i = 0; i < n; ++i)
          bwe.on_packet_sent(static_cast<std::uint16_t>(first + i), 50 + s.u8() * 5, now);
        break;
      }
      case 10: {  // transport-wide CC feedback, any statuses and deltas
        rtp::TransportFeedback f;
        f.base_sequence = s.u16();
        f.reference_time = static_cast<std::int32_t>(s.u16()) * 128 - 0x400000 / 2;
        const int n = s.u8() % 96;
        for (int i = 0; i < n; ++i) {
          const std::uint8_t st = s.u8() % 3;
          rtp::TwccPacket p;
          p.status = static_cast<rtp::TwccStatus>(st);
          if (st == 1) p.delta = s.u8();
          if (st == 2) p.delta = static_cast<std::int16_t>(s.u16());
          f.packets.push_back(p);
        }
        bwe.on_feedback(f, now);
        // The same to the router, as the participant's own feedback: its estimate, layer
        // allocation and padding probes run on it.
        std::array<rtp::RtcpPacket, 1> fb{f};
        std::vector<std::byte> fbuf(4096);
        if (auto m = rtp::build_compound(fb, fbuf)) router.handle_rtcp(now, who, std::span(fbuf).first(*m));
        const double e = bwe.estimate_bps();
        CHECK(e >= 30'000 && e <= 50'000'000);  // finite and inside the configured bounds
        break;
      }
      case 11: {  // an audio level, or a participant gone
        const std::uint8_t l = s.u8();
        if (l == 255) {
          speakers.remove(who);
        } else {
          speakers.on_audio_level(who, {(l & 0x80) != 0, static_cast<std::uint8_t>(l & 0x7f)}, now);
        }
        break;
      }
      case 12: {  // the speaker detector's timer
        if (speakers.next_timeout() <= now) speakers.handle_timeout(now);
        while (auto e = speakers.poll_event())
          CHECK(e->loudest.size() <= 2 && (!e->dominant || e->dominant->value >= 1));
        CHECK(speakers.loudest().size() <= 2);
        break;
      }
      case 8: {  // a layer change
        const std::uint8_t l = s.u8();
        router.set_layer(SubscriptionId{1u + s.u8() % 16u},
                         l % 4 == 3 ? std::nullopt : std::optional<int>(l % 4));
        break;
      }
    }
    drain();
    for (const auto& [id, m] : subs)  // an RTT from reports stays inside its clamp
      if (auto rtt = router.rtt(m.who)) CHECK(*rtt >= Duration::millis(1) && *rtt <= Duration::seconds(10));
  }
  return 0;
}
