// What the SFU benches share (bench/sfuload.cpp for T10–T12, bench/sfuadapt.cpp for T13): a
// publisher of one synthetic VP8 track with simulcast layers on peerkit's PeerConnection, a
// subscriber that counts packets and the gaps in their numbering without decoding, and the
// connection set-up both need. Bench code, not the library: header-only.
#pragma once

#include <errno.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <thread>
#include <variant>
#include <vector>

#include "peerkit/peer_connection.h"
#include "rtp/packet.h"

namespace peerkit::bench {

using namespace std::chrono_literals;

constexpr int kPacketsPerFrame = 10;
constexpr std::size_t kPayload = 1000;  // bytes of VP8 payload per packet (≈ 1 050 on the wire)

[[noreturn]] inline void die(const std::string& why) {
  std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, why.c_str());
  std::exit(1);
}

inline Configuration on_host(const std::string& host) {  // gathers HOST alone (rule 1: a namespace's)
  Configuration c;
  c.host_filter = host + "/32";
  c.allow_loopback = host.rfind("127.", 0) == 0;
  return c;
}

// Waits for gathering, so the description carries our candidates: Janus is a full ICE agent
// and takes them from the SDP (peerkit's SFU is ICE-lite and needs none).
inline std::string described(PeerConnection& pc, const SessionDescription& d) {
  std::mutex m;
  std::condition_variable cv;
  bool done = false;
  pc.on_gathering_complete([&] {
    std::lock_guard l(m);
    done = true;
    cv.notify_all();
  });
  if (auto e = pc.set_local_description(d)) die("set_local_description: " + *e);
  std::unique_lock l(m);
  if (!cv.wait_for(l, 10s, [&] { return done; })) die("ICE gathering did not complete");
  l.unlock();
  pc.on_gathering_complete(nullptr);
  return pc.local_description()->sdp;
}

// Simulcast as Chrome sends a 3-layer camera (q, h, f: a quarter, half and full size): each
// frame is one packet on q, three on h and ten on f, so the layers carry about 1 : 3 : 10 of the
// packets (≈ 150 k, 500 k and 1.5 Mbit/s at 30 frames/s). One layer is f alone.
struct Layer {
  std::string rid;
  int packets_per_frame;
  std::atomic<int> keyframes_asked{1};  // the first frame is a keyframe
  std::uint16_t seq = 1;
  std::uint64_t sent = 0;
};

struct Publisher {
  std::shared_ptr<PeerConnection> pc;
  std::shared_ptr<MediaTrack> video;
  std::vector<std::unique_ptr<Layer>> layers;
  std::uint32_t frame = 0;
  std::uint64_t frames_sent = 0;
  std::size_t next_layer = 0;  // where the current frame's packets are
  int next_index = 0;
  std::vector<std::byte> buffer = std::vector<std::byte>(rtp::kFixedHeaderSize + kPayload);

  explicit Publisher(int layer_count) {
    const std::vector<std::pair<std::string, int>> all = {{"q", 1}, {"h", 3}, {"f", kPacketsPerFrame}};
    for (std::size_t i = layer_count == 1 ? 2 : 0; i < all.size(); ++i) {
      auto l = std::make_unique<Layer>();
      l->rid = all[i].first;
      l->packets_per_frame = all[i].second;
      layers.push_back(std::move(l));
    }
  }
  int packets_per_frame() const {
    int n = 0;
    for (const auto& l : layers) n += l->packets_per_frame;
    return n;
  }
  std::uint64_t sent() const {
    std::uint64_t n = 0;
    for (const auto& l : layers) n += l->sent;
    return n;
  }
  Layer* layer(const std::string& rid) {
    for (auto& l : layers)
      if (l->rid == rid) return l.get();
    return nullptr;
  }

  // The next packet of the current frame, layer by layer; a frame's first packet on a layer
  // starts the VP8 partition (RFC 7741 §4.2: S=1, PID 0), and a keyframe's has the 9d 01 2a
  // start code.
  void send_next() {
    Layer& l = *layers[next_layer];
    const int index = next_index;
    bool key = false;
    if (index == 0) key = l.keyframes_asked.exchange(0) > 0;
    std::vector<std::byte> payload(kPayload, std::byte{0x5A});
    payload[0] = std::byte{static_cast<unsigned char>(index == 0 ? 0x10 : 0x00)};
    if (index == 0) {
      const unsigned char header[] = {static_cast<unsigned char>(key ? 0x10 : 0x11), 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02};
      for (std::size_t i = 0; i < sizeof header; ++i) payload[1 + i] = std::byte{header[i]};
    }
    rtp::PacketBuild b;
    b.header.sequence = l.seq++;
    b.header.timestamp = frame * 3000u;
    b.header.marker = index == l.packets_per_frame - 1;
    b.header.ssrc = 1;
    b.payload = payload;
    const auto n = rtp::build_packet(b, buffer);
    if (!n) die("cannot build RTP");
    const std::span<const std::byte> packet(buffer.data(), *n);
    (void)(layers.size() == 1 ? video->send_rtp(packet) : video->send_rtp(packet, l.rid));
    ++l.sent;
    if (++next_index == l.packets_per_frame) {
      next_index = 0;
      if (++next_layer == layers.size()) {
        next_layer = 0;
        ++frame;
        ++frames_sent;
      }
    }
  }
};

struct Subscriber {
  std::shared_ptr<PeerConnection> pc;
  std::atomic<std::uint64_t> received{0};
  // Loss from the received numbering: the SFU sends each track as one gap-free stream (layer
  // switches included), so a gap is a packet lost on the way (or dropped by the server).
  std::atomic<std::uint64_t> missing{0};
  std::atomic<std::uint64_t> repaired{0};  // gaps filled late (retransmissions)
  std::atomic<std::uint64_t> bytes{0};     // RTP bytes of what was received
  std::vector<std::shared_ptr<MediaTrack>> tracks;  // kept: dropping a track drops its callbacks
  std::mutex m;
};

// Counts one track's packets and the gaps in their sequence numbers (loop thread only). A gap's
// numbers stay open until they arrive late — a NACK's retransmission (RTX restored by the
// receiver, or plain) — so `missing` is what is still lost; at most kMaxOpen numbers are
// remembered, older ones stay lost.
struct SequenceCounter {
  static constexpr std::size_t kMaxOpen = 2048;
  std::optional<std::uint16_t> last;
  std::set<std::uint16_t> open;
  std::deque<std::uint16_t> open_order;
  void on_packet(std::span<const std::byte> p, Subscriber& s) {
    if (p.size() < 4) return;
    const auto seq = static_cast<std::uint16_t>((std::to_integer<unsigned>(p[2]) << 8) | std::to_integer<unsigned>(p[3]));
    if (last) {
      const auto gap = static_cast<std::uint16_t>(seq - *last);
      if (gap == 0) return;  // a duplicate
      if (gap >= 0x8000) {   // late: a repair if it was missing, else a duplicate
        if (open.erase(seq)) {
          s.missing.fetch_sub(1, std::memory_order_relaxed);
          s.repaired.fetch_add(1, std::memory_order_relaxed);
          s.received.fetch_add(1, std::memory_order_relaxed);
          s.bytes.fetch_add(p.size(), std::memory_order_relaxed);
        }
        return;
      }
      for (std::uint16_t q = static_cast<std::uint16_t>(*last + 1); q != seq; ++q) {
        s.missing.fetch_add(1, std::memory_order_relaxed);
        if (open.insert(q).second) open_order.push_back(q);
      }
      while (open_order.size() > kMaxOpen) {
        open.erase(open_order.front());
        open_order.pop_front();
      }
    }
    s.received.fetch_add(1, std::memory_order_relaxed);
    s.bytes.fetch_add(p.size(), std::memory_order_relaxed);
    last = seq;
  }
};

inline std::shared_ptr<PeerConnection> make_pc(Runtime& runtime, const std::string& host, std::atomic<int>& connected) {
  auto pc = PeerConnection::create(runtime, on_host(host));
  pc->on_connection_state([&connected](PeerConnectionState s) {
    if (s == PeerConnectionState::kConnected) ++connected;
    if (s == PeerConnectionState::kFailed) std::fprintf(stderr, "%s: a connection failed\n", program_invocation_short_name);
  });
  return pc;
}

// A publisher's connection and its video track (simulcast with `layer_count` 3; a layer's
// keyframe when a PLI/FIR names it), before any offer.
inline std::unique_ptr<Publisher> make_publisher(Runtime& runtime, const std::string& host,
                                                 std::atomic<int>& connected, int layer_count) {
  auto p = std::make_unique<Publisher>(layer_count);
  p->pc = make_pc(runtime, host, connected);
  TrackInit init{"video", "", "", {}};
  if (layer_count > 1)
    for (const auto& l : p->layers) init.rids.push_back(l->rid);
  auto track = p->pc->add_track(init);
  if (!std::holds_alternative<std::shared_ptr<MediaTrack>>(track)) die(std::get<std::string>(track));
  p->video = std::get<std::shared_ptr<MediaTrack>>(track);
  auto* raw = p.get();
  p->video->on_layer_keyframe_request([raw](const std::string& rid) {
    if (Layer* l = raw->layers.size() == 1 ? raw->layers.front().get() : raw->layer(rid)) l->keyframes_asked.fetch_add(1);
  });
  return p;
}

// A subscriber's connection, counting every track it is offered (SequenceCounter).
inline std::unique_ptr<Subscriber> make_subscriber(Runtime& runtime, const std::string& host,
                                                   std::atomic<int>& connected) {
  auto s = std::make_unique<Subscriber>();
  s->pc = make_pc(runtime, host, connected);
  auto* raw = s.get();
  s->pc->on_track([raw](std::shared_ptr<MediaTrack> t) {
    t->on_rtp([raw, counter = std::make_shared<SequenceCounter>()](std::span<const std::byte> p) { counter->on_packet(p, *raw); });
    std::lock_guard l(raw->m);
    raw->tracks.push_back(std::move(t));
  });
  return s;
}

// Sends each publisher's layers at `top_pps` (the top layer's packet rate: frames at top_pps / 10
// a second, each all layers' packets), in 1 ms slots from an origin: restart() begins again
// after a pause (subscribers joining), so no burst makes up for it.
class Pacer {
 public:
  Pacer(std::vector<std::unique_ptr<Publisher>>& pubs, int top_pps) : pubs_(pubs), top_pps_(top_pps) {}
  void restart() {
    origin_ = std::chrono::steady_clock::now();
    sent_at_origin_.clear();
    for (auto& p : pubs_) sent_at_origin_.push_back(p->sent());
  }
  void run_until(std::chrono::steady_clock::time_point until) {
    while (std::chrono::steady_clock::now() < until) {
      const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - origin_).count();
      for (std::size_t i = 0; i < pubs_.size(); ++i) {
        auto& p = pubs_[i];
        const auto due = sent_at_origin_[i] +
                         static_cast<std::uint64_t>(elapsed * top_pps_ / kPacketsPerFrame * p->packets_per_frame());
        while (p->sent() < due) p->send_next();
      }
      std::this_thread::sleep_until(std::chrono::steady_clock::now() + 1ms);  // the media clock's pace
    }
  }

 private:
  std::vector<std::unique_ptr<Publisher>>& pubs_;
  int top_pps_;
  std::chrono::steady_clock::time_point origin_;
  std::vector<std::uint64_t> sent_at_origin_;
};

}  // namespace peerkit::bench
