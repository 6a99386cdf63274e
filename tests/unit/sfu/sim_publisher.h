// Test helper: a synthetic simulcast VP8 publisher (three layers, each with its own SSRC, random
// sequence / timestamp / picture-id bases, 1–3 packets per frame at 30 fps) and a subscriber-side
// checker that parses what an OutboundStream + write_egress emit and records every jump.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include "rtp/extension_values.h"
#include "rtp/packet.h"
#include "rtp/vp8.h"
#include "sfu/egress_writer.h"
#include "sfu/ingress_packet.h"
#include "sfu/router.h"

namespace peerkit::sfu::test {

// Publisher extension ids (a=extmap of its offer) and the subscriber's, deliberately different.
inline rtp::ExtensionMap publisher_map() {
  rtp::ExtensionMap m;
  (void)m.add(4, rtp::ExtensionKind::kMid);
  (void)m.add(10, rtp::ExtensionKind::kRid);
  (void)m.add(3, rtp::ExtensionKind::kTransportWideCc);
  (void)m.add(2, rtp::ExtensionKind::kAbsSendTime);
  return m;
}
// The track SimPublisher sends: mid "0", three layers by rid q/h/f, publisher_map().
inline TrackParams simulcast_track(ParticipantId publisher) {
  TrackParams t;
  t.publisher = publisher;
  t.mid = "0";
  t.rids = {"q", "h", "f"};
  t.extensions = publisher_map();
  return t;
}

inline SubscriberParams subscriber(std::uint32_t ssrc = 0x5000'0001) {
  SubscriberParams s;
  s.ssrc = ssrc;
  s.payload_type = 120;
  s.rtx_ssrc = ssrc + 1;
  s.rtx_payload_type = 121;
  (void)s.extensions.add(1, rtp::ExtensionKind::kMid);
  (void)s.extensions.add(7, rtp::ExtensionKind::kAbsSendTime);
  (void)s.extensions.add(5, rtp::ExtensionKind::kTransportWideCc);
  s.mid = "v7";
  return s;
}

struct SimLayer {
  std::uint32_t ssrc;
  std::uint16_t seq;
  std::uint32_t ts;
  std::uint16_t pic;
  std::uint8_t tl0;
  int packets_per_frame;
};

class SimPublisher {
 public:
  SimPublisher()
      : layers_{{{0x1111, 65000, 4'000'000'000u, 32700, 250, 1},
                 {0x2222, 100, 17, 5, 0, 2},
                 {0x3333, 30000, 2'000'000'000u, 1000, 100, 3}}} {}
  // Layers with real bitrates: `frame_bytes` of VP8 payload per frame, in packets of at most
  // 1 100 bytes (for the bandwidth tests).
  explicit SimPublisher(std::array<int, 3> frame_bytes) : SimPublisher() {
    for (int l = 0; l < 3; ++l) {
      layers_[l].packets_per_frame = (frame_bytes[l] + 1099) / 1100;
      payload_bytes_[l] = frame_bytes[l] / layers_[l].packets_per_frame;
    }
  }
  static constexpr std::array<std::uint32_t, 3> kSsrcs{0x1111, 0x2222, 0x3333};

  // One frame of `layer` at `now`: its packets, the first one a keyframe start if `key`.
  std::vector<IngressRef> frame(int layer, Timestamp now, bool key) {
    SimLayer& l = layers_[layer];
    std::vector<IngressRef> out;
    for (int i = 0; i < l.packets_per_frame; ++i) {
      std::vector<std::byte> payload;
      rtp::Vp8Descriptor d;
      d.extended = true;
      d.start_of_partition = i == 0;
      d.has_picture_id = true;
      d.picture_id_15bit = true;
      d.picture_id = l.pic;
      d.has_tl0picidx = true;
      d.tl0picidx = l.tl0;
      std::array<std::byte, 8> desc{};
      auto n = rtp::write_vp8_descriptor(d, desc);
      payload.assign(desc.begin(), desc.begin() + static_cast<long>(*n));
      payload.push_back(std::byte(key && i == 0 ? 0x10 : 0x11));  // P bit: 0 = keyframe
      for (int k = 0; k < 40; ++k) payload.push_back(std::byte(layer * 50 + k));
      if (payload_bytes_[layer] > 0) payload.resize(static_cast<std::size_t>(payload_bytes_[layer]));
      std::string rid = std::string(1, "qhf"[layer]);
      std::array<std::byte, 3> ast{std::byte{1}, std::byte{2}, std::byte{3}};
      std::array<std::byte, 2> tw{std::byte{0x12}, std::byte{0x34}};
      std::array<rtp::Extension, 4> ext{
          {{4, as_bytes("0")}, {10, as_bytes(rid)}, {3, tw}, {2, ast}}};
      rtp::PacketBuild b;
      b.header.payload_type = 96;
      b.header.sequence = l.seq++;
      b.header.timestamp = l.ts;
      b.header.ssrc = l.ssrc;
      b.header.marker = i + 1 == l.packets_per_frame;
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
    l.ts += 3000;
    l.pic = static_cast<std::uint16_t>((l.pic + 1) & 0x7fff);
    ++l.tl0;
    return out;
  }

 private:
  std::array<SimLayer, 3> layers_;
  std::array<int, 3> payload_bytes_{};  // 0: the 40-byte pattern
};

// What the subscriber sees; each packet checked against the previous one.
struct SubscriberView {
  std::optional<std::uint16_t> last_seq;
  std::optional<std::uint32_t> last_ts;
  std::optional<std::uint16_t> last_pic;
  std::optional<std::uint8_t> last_tl0;
  int packets = 0;
  int seq_jumps = 0;  // a step other than +1
  int ts_jumps = 0;   // backwards, or more than `max_ts_step` forward
  int pic_jumps = 0;  // a step other than 0 or +1
  int tl0_jumps = 0;
  std::uint32_t max_ts_step = 6000;  // two frames at 30 fps
  std::vector<int> layers;           // payload marker byte → which layer (first payload byte)

  void receive(ByteSpan packet, const SubscriberParams& sub) {
    auto v = rtp::parse_packet(packet);
    ASSERT_TRUE(v);
    EXPECT_EQ(v->header.ssrc, sub.ssrc);
    EXPECT_EQ(v->header.payload_type, sub.payload_type);
    EXPECT_FALSE(v->extensions.find(10));  // rid never reaches the subscriber
    auto mid = v->extensions.find(1);
    ASSERT_TRUE(mid);
    EXPECT_EQ(as_string_view(*mid), sub.mid);
    auto d = rtp::parse_vp8(v->payload);
    ASSERT_TRUE(d);
    const std::uint16_t seq = v->header.sequence;
    const std::uint32_t ts = v->header.timestamp;
    if (last_seq && std::uint16_t(*last_seq + 1) != seq) ++seq_jumps;
    if (last_ts) {
      const std::uint32_t step = ts - *last_ts;
      if (step > max_ts_step) ++ts_jumps;  // also catches going back (huge unsigned step)
    }
    if (last_pic) {
      const std::uint16_t step = (d->picture_id - *last_pic) & 0x7fff;
      if (step > 1) ++pic_jumps;
    }
    if (last_tl0) {
      const std::uint8_t step = static_cast<std::uint8_t>(d->tl0picidx - *last_tl0);
      if (step > 1) ++tl0_jumps;
    }
    last_seq = seq;
    last_ts = ts;
    last_pic = d->picture_id;
    last_tl0 = d->tl0picidx;
    layers.push_back(std::to_integer<int>(v->payload[d->size + 1]) / 50);
    ++packets;
  }
};

}  // namespace peerkit::sfu::test
