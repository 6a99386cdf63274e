// A peerkit PeerConnection for the browser tests, on the public API only: it answers an offer
// that arrives on stdin and speaks JSON lines both ways —
//   in:  {"sdp":{type,sdp}} | {"candidate":{candidate,sdpMid}|null} | {"create":{label,ordered,
//        maxRetransmits,maxPacketLifeTime}} (a channel of ours, announced with DCEP)
//        | {"offer-media":{video}} (we offer a sendonly Opus track — with video: and a VP8
//        one — and, once connected, send a 20 ms Opus silence frame every 20 ms and 30 video
//        frames a second of three 1 100-byte packets, as a packetizer would; the video is not
//        decodable, a VP8 keyframe or delta frame only by its headers) | {"stats":true}
//   out: {"sdp":…} | {"candidate":…} | {"event":"channel"|"open"|"close",label,id,ordered}
//        | {"event":"state",state} | {"event":"stats",streams:[…]} (get_stats' local streams)
// Every message on every channel is echoed back on it as it came (text as text, binary as
// binary), except the text "close-me", which closes that channel from our side.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <thread>
#include <iostream>
#include <map>
#include <mutex>
#include <string>

#include "peerkit/peer_connection.h"

namespace json = boost::json;
using namespace peerkit;

namespace {

std::mutex out_mutex;
void emit(const json::object& o) {
  std::lock_guard l(out_mutex);
  std::cout << json::serialize(o) << std::endl;
}

std::mutex channels_mutex;
std::vector<std::shared_ptr<DataChannel>> channels;  // kept alive until the end

void watch(const std::shared_ptr<DataChannel>& ch) {
  std::weak_ptr<DataChannel> weak = ch;
  const std::string label = ch->label();
  ch->on_open([label, weak] {
    auto c = weak.lock();
    emit({{"event", "open"}, {"label", label}, {"id", c && c->id() ? *c->id() : -1}});
  });
  ch->on_message([weak](const Message& m) {
    auto c = weak.lock();
    if (!c) return;
    if (!m.binary && m.text() == "close-me") return c->close();
    Error e = m.binary ? c->send(std::span<const std::byte>(m.data)) : c->send(m.text());
    if (e) emit({{"event", "error"}, {"label", c->label()}, {"error", *e}});
  });
  ch->on_close([label] { emit({{"event", "close"}, {"label", label}}); });
  std::lock_guard l(channels_mutex);
  channels.push_back(ch);
}

// An RTP packet as an Opus packetizer writes it: the session puts in the negotiated SSRC and
// payload type. {0xF8, 0xFF, 0xFE} is a 20 ms fullband CELT frame of silence (RFC 6716 §3.1:
// config 31, mono, one frame), which a decoder plays as 960 real samples, not concealment.
std::vector<std::byte> opus_silence(std::uint16_t seq) {
  const std::uint32_t ts = seq * 960u;
  std::vector<std::byte> p{std::byte{0x80}, std::byte{0x6f},  // V=2; PT 111 (replaced)
                           std::byte(seq >> 8), std::byte(seq & 0xff),
                           std::byte(ts >> 24), std::byte((ts >> 16) & 0xff), std::byte((ts >> 8) & 0xff), std::byte(ts & 0xff),
                           std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1},  // SSRC (replaced)
                           std::byte{0xF8}, std::byte{0xFF}, std::byte{0xFE}};
  return p;
}

std::vector<std::byte> rtp_packet(std::uint16_t seq, std::uint32_t ts, bool marker, std::uint8_t pt,
                                  std::vector<std::uint8_t> payload) {
  std::vector<std::byte> p{std::byte{0x80}, std::byte((marker ? 0x80 : 0) | pt),
                           std::byte(seq >> 8), std::byte(seq & 0xff),
                           std::byte(ts >> 24), std::byte((ts >> 16) & 0xff), std::byte((ts >> 8) & 0xff), std::byte(ts & 0xff),
                           std::byte{0}, std::byte{0}, std::byte{0}, std::byte{1}};  // SSRC (replaced)
  for (const auto b : payload) p.push_back(std::byte{b});
  return p;
}

// One packet of a VP8 frame (RFC 7741 §4.2 descriptor: S on the first; its payload header says
// key or delta, and a keyframe's carries the start code and a 320×180 size), padded to 1 100
// bytes: the browser test drops packets of exactly this size to make loss for NACK to repair.
std::vector<std::uint8_t> vp8_packet(bool first, bool key, std::uint8_t frame) {
  std::vector<std::uint8_t> v;
  if (!first) v = {0x00};
  else if (key) v = {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00};
  else v = {0x10, 0x11, 0x02, 0x00};
  v.push_back(frame);
  v.resize(1100, 0xAA);
  return v;
}

json::object stream_stats(const Stats::RtpStream& r) {
  return {{"kind", r.kind},
          {"mid", r.mid},
          {"packets", r.packets},
          {"senderReports", r.sender_reports_sent},
          {"remotePacketsLost", r.remote_packets_lost},
          {"roundTripTime", r.round_trip_time ? json::value(*r.round_trip_time) : json::value()},
          {"nackCount", r.nack_count},
          {"retransmitted", r.retransmitted_packets_sent}};
}

}  // namespace

int main() {
  Runtime runtime;
  Configuration config;
  config.allow_loopback = true;  // run inside a namespace with loopback only
  auto pc = PeerConnection::create(runtime, config);
  pc->on_local_candidate([](const IceCandidate& c) {
    if (c.candidate.empty()) return;
    emit({{"candidate", {{"candidate", c.candidate}, {"sdpMid", c.sdp_mid}}}});
  });
  pc->on_gathering_complete([] { emit({{"candidate", nullptr}}); });
  pc->on_connection_state([](PeerConnectionState s) {
    emit({{"event", "state"}, {"state", to_string(s)}});
  });
  pc->on_error([](const std::string& e) { emit({{"event", "error"}, {"error", e}}); });
  pc->on_data_channel([](std::shared_ptr<DataChannel> ch) {
    emit({{"event", "channel"},
          {"label", ch->label()},
          {"id", ch->id() ? *ch->id() : -1},
          {"ordered", ch->ordered()},
          {"protocol", ch->protocol()}});
    watch(ch);
  });

  std::shared_ptr<MediaTrack> mic, cam;
  std::atomic<bool> stop{false}, keyframe_wanted{true};
  std::thread sender, video_sender;
  bool has_remote = false;
  std::vector<IceCandidate> held;
  std::string line;
  while (std::getline(std::cin, line)) {
    json::error_code ec;
    auto v = json::parse(line, ec);
    if (ec || !v.is_object()) continue;
    auto& o = v.as_object();
    if (auto* sdp = o.if_contains("sdp")) {
      SessionDescription d{std::string(sdp->at("type").as_string()),
                           std::string(sdp->at("sdp").as_string())};
      if (auto e = pc->set_remote_description(d)) emit({{"event", "error"}, {"error", *e}});
      if (d.type == "offer") {
        auto answer = pc->create_answer();
        if (auto* e = std::get_if<std::string>(&answer)) {
          emit({{"event", "error"}, {"error", *e}});
          continue;
        }
        auto a = std::get<SessionDescription>(answer);
        if (auto e = pc->set_local_description(a)) emit({{"event", "error"}, {"error", *e}});
        emit({{"sdp", {{"type", a.type}, {"sdp", a.sdp}}}});
      }
      has_remote = true;
      for (auto& c : held) (void)pc->add_ice_candidate(c);
      held.clear();
    } else if (auto* cand = o.if_contains("candidate")) {
      IceCandidate c;
      if (cand->is_object()) {
        c.candidate = std::string(cand->at("candidate").as_string());
        if (auto* mid = cand->as_object().if_contains("sdpMid"); mid && mid->is_string())
          c.sdp_mid = mid->as_string();
      }
      if (!has_remote)
        held.push_back(c);
      else if (auto e = pc->add_ice_candidate(c))
        emit({{"event", "error"}, {"error", *e}});
    } else if (auto* media = o.if_contains("offer-media")) {
      auto added = pc->add_track({"audio", "", ""});
      if (auto* e = std::get_if<std::string>(&added)) {
        emit({{"event", "error"}, {"error", *e}});
        continue;
      }
      mic = std::get<std::shared_ptr<MediaTrack>>(added);
      if (const auto* v = media->as_object().if_contains("video"); v && v->is_bool() && v->as_bool()) {
        auto video = pc->add_track({"video", "", ""});
        if (auto* e = std::get_if<std::string>(&video)) {
          emit({{"event", "error"}, {"error", *e}});
          continue;
        }
        cam = std::get<std::shared_ptr<MediaTrack>>(video);
        cam->on_keyframe_request([&keyframe_wanted] { keyframe_wanted = true; });
        video_sender = std::thread([&stop, &keyframe_wanted, track = cam] {
          std::uint16_t seq = 0;
          std::uint32_t frame = 0;
          auto next = std::chrono::steady_clock::now();
          while (!stop) {
            const bool key = keyframe_wanted.exchange(false) || frame % 60 == 0;
            bool sent = true;
            for (int k = 0; k < 3 && sent; ++k) {
              sent = !track->send_rtp(rtp_packet(seq, frame * 3000u, k == 2, 96, vp8_packet(k == 0, key, static_cast<std::uint8_t>(frame))));
              if (sent) ++seq;
            }
            if (!sent) keyframe_wanted = true;  // not connected yet: start on a keyframe
            ++frame;
            next += std::chrono::microseconds(33'333);  // the media clock: 30 frames a second
            std::this_thread::sleep_until(next);
          }
        });
      }
      auto offer = pc->create_offer();
      if (auto* e = std::get_if<std::string>(&offer)) {
        emit({{"event", "error"}, {"error", *e}});
        continue;
      }
      const auto d = std::get<SessionDescription>(offer);
      if (auto e = pc->set_local_description(d)) emit({{"event", "error"}, {"error", *e}});
      emit({{"sdp", {{"type", d.type}, {"sdp", d.sdp}}}});
      // The media clock: a packet per 20 ms from when the track can send (InvalidStateError
      // until the answer took it and SRTP is keyed).
      sender = std::thread([&stop, track = mic] {
        std::uint16_t seq = 0;
        auto next = std::chrono::steady_clock::now();
        while (!stop) {
          if (!track->send_rtp(opus_silence(seq))) ++seq;
          next += std::chrono::milliseconds(20);
          std::this_thread::sleep_until(next);
        }
      });
    } else if (o.contains("stats")) {
      json::array streams;
      for (const auto& r : pc->get_stats().rtp_streams)
        if (r.local) streams.push_back(stream_stats(r));
      emit({{"event", "stats"}, {"streams", streams}});
    } else if (auto* create = o.if_contains("create")) {
      const auto& co = create->as_object();
      DataChannelInit init;
      if (auto* x = co.if_contains("ordered")) init.ordered = x->as_bool();
      if (auto* x = co.if_contains("maxRetransmits"))
        init.max_retransmits = static_cast<std::uint16_t>(x->to_number<int>());
      if (auto* x = co.if_contains("maxPacketLifeTime"))
        init.max_packet_life_time = static_cast<std::uint16_t>(x->to_number<int>());
      auto made = pc->create_data_channel(std::string(co.at("label").as_string()), init);
      if (auto* e = std::get_if<std::string>(&made))
        emit({{"event", "error"}, {"error", *e}});
      else
        watch(std::get<std::shared_ptr<DataChannel>>(made));
    }
  }
  // stdin closed: the test is done with us.
  stop = true;
  if (sender.joinable()) sender.join();
  if (video_sender.joinable()) video_sender.join();
  pc->close();
  {
    std::lock_guard l(channels_mutex);
    channels.clear();
  }
  pc.reset();
  return 0;
}
