// A native publisher and a native subscriber (peerkit::PeerConnection with tracks) through
// `peerkit serve`'s SFU, in-process on 127.0.0.1 (issue 11): Ann publishes an Opus and a VP8
// track over the rooms protocol's SFU mode, Bo answers the server's subscribe offer, and RTP
// goes Ann → SFU → Bo over ICE, DTLS-SRTP and the SFU's per-subscriber rewriting. The SFU gates
// video on a keyframe and asks Ann for one (PLI); Bo's own keyframe request reaches Ann too.
#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "peerkit/peer_connection.h"
#include "rtp/packet.h"
#include "server/serve_node.h"
#include "ws_client.h"
#include "ws_next_of.h"

namespace peerkit {
namespace {

using testing::WsClient;
using testing::next_of;
namespace json = boost::json;
using namespace std::chrono_literals;

Configuration loopback_only() {  // rule 1: gather nothing but 127.0.0.1
  Configuration c;
  c.host_filter = "127.0.0.1/32";
  c.allow_loopback = true;
  return c;
}

// `peerkit serve` in-process: any port, no TURN, one SFU worker.
server::ServeConfig sfu_serve_config() {
  server::ServeConfig config;
  config.port = 0;
  config.turn = false;
  config.sfu.workers = 1;
  return config;
}

// What the test threads and the connections' loop threads share.
struct Shared {
  std::mutex m;
  std::condition_variable cv;
  std::map<std::string, std::vector<std::vector<std::byte>>> received;  // by kind
  std::vector<std::shared_ptr<MediaTrack>> remote_tracks;
  int keyframe_requests = 0;
  int connected = 0;

  template <typename F>
  bool wait(F done, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock l(m);
    return cv.wait_for(l, timeout, done);
  }
};

// What a connection that did not connect got to (for the failure message): ICE and DTLS
// states, datagram counts and each candidate pair's checks.
std::string transport_story(const PeerConnection& pc) {
  const Stats st = pc.get_stats();
  std::string out = "ice " + st.transport.ice_state + ", dtls " + st.transport.dtls_state + " (" +
                    st.transport.dtls_role + "), dtls datagrams sent " +
                    std::to_string(st.transport.packets_sent) + " received " +
                    std::to_string(st.transport.packets_received);
  for (const auto& c : st.candidate_pairs)
    out += "; pair " + c.local_candidate + " -> " + c.remote_candidate + " " + c.state + " requests " +
           std::to_string(c.requests_sent) + " responses " + std::to_string(c.responses_received);
  return out;
}

// An RTP packet as a packetizer writes it; SSRC, payload type 0 and no extensions: the track
// writes the negotiated ones. The payload says which packet it is.
std::vector<std::byte> rtp_packet(std::uint16_t seq, std::uint32_t ts, bool marker,
                                  std::vector<std::uint8_t> payload) {
  std::vector<std::byte> p(rtp::kFixedHeaderSize + payload.size());
  rtp::PacketBuild b;
  b.header.sequence = seq;
  b.header.timestamp = ts;
  b.header.marker = marker;
  b.header.ssrc = 0x1234;
  std::vector<std::byte> body(payload.size());
  for (std::size_t i = 0; i < payload.size(); ++i) body[i] = std::byte{payload[i]};
  b.payload = body;
  auto n = rtp::build_packet(b, p);
  p.resize(n ? *n : 0);
  return p;
}

// RFC 7741: descriptor S=1 PID=0, then a VP8 frame header whose low bit is 0 for a key frame
// (with the 9d 01 2a start code and a 320×180 size), 1 for a delta frame; then the frame number.
std::vector<std::uint8_t> vp8_payload(bool key, std::uint8_t frame) {
  if (key) return {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00, frame, 0xAA};
  return {0x10, 0x11, 0x02, 0x00, frame, 0xBB, 0xBB};
}

TEST(SfuNativePair, APeerkitPublisherReachesAPeerkitSubscriberThroughTheSfu) {
  spdlog::set_level(spdlog::level::warn);
  server::ServeNode service(sfu_serve_config());
  ASSERT_EQ(service.start(), "");

  auto join = [&](const std::string& name, json::object* joined) {
    auto c = std::make_unique<WsClient>();
    EXPECT_TRUE(c->connect(service.port(), "/ws")) << c->error();
    c->next();  // welcome
    c->send(json::serialize(json::object{{"type", "join"}, {"room", "native"}, {"name", name}, {"mode", "sfu"}}));
    *joined = next_of(*c, "joined");
    return c;
  };
  json::object ja, jb;
  auto ann_ws = join("Ann", &ja);
  auto bo_ws = join("Bo", &jb);
  ASSERT_EQ(ja.at("mode"), "sfu");
  const std::string ann_id(ja.at("self").at("id").as_string());

  Runtime runtime(2);
  Shared ann, bo;
  auto ann_pc = PeerConnection::create(runtime, loopback_only());
  auto bo_pc = PeerConnection::create(runtime, loopback_only());
  for (auto [pc, s] : {std::pair{ann_pc.get(), &ann}, std::pair{bo_pc.get(), &bo}})
    pc->on_connection_state([s](PeerConnectionState st) {
      std::lock_guard l(s->m);
      if (st == PeerConnectionState::kConnected) ++s->connected;
      s->cv.notify_all();
    });

  // Ann publishes: two sendonly tracks in one offer.
  auto audio = ann_pc->add_track({"audio", "", ""});
  auto video = ann_pc->add_track({"video", "", ""});
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<MediaTrack>>(audio));
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<MediaTrack>>(video));
  auto mic = std::get<std::shared_ptr<MediaTrack>>(audio);
  auto cam = std::get<std::shared_ptr<MediaTrack>>(video);
  EXPECT_EQ(mic->mid(), "");  // not negotiated yet
  cam->on_keyframe_request([&] {
    std::lock_guard l(ann.m);
    ++ann.keyframe_requests;
    ann.cv.notify_all();
  });
  auto offer = ann_pc->create_offer();
  ASSERT_TRUE(std::holds_alternative<SessionDescription>(offer)) << std::get<std::string>(offer);
  const auto& offer_sdp = std::get<SessionDescription>(offer).sdp;
  EXPECT_NE(offer_sdp.find("m=audio"), std::string::npos);
  EXPECT_NE(offer_sdp.find("a=sendonly"), std::string::npos);
  EXPECT_EQ(offer_sdp.find("a=ice-lite"), std::string::npos);
  EXPECT_EQ(offer_sdp.find("m=application"), std::string::npos);  // no channel: no data section
  ASSERT_EQ(ann_pc->set_local_description(std::get<SessionDescription>(offer)), std::nullopt);
  EXPECT_EQ(mic->mid(), "0");
  EXPECT_EQ(cam->mid(), "1");
  ann_ws->send(json::serialize(json::object{{"type", "sfu-publish"}, {"sdp", offer_sdp}, {"height", 180}}));
  auto published = next_of(*ann_ws, "sfu-publish-answer");
  ASSERT_TRUE(published.contains("sdp")) << json::serialize(published);
  ASSERT_EQ(ann_pc->set_remote_description({"answer", std::string(published.at("sdp").as_string())}), std::nullopt);
  EXPECT_EQ(std::get<std::string>(ann_pc->add_track({"audio", "", ""})).rfind("InvalidStateError", 0), 0u);

  // Bo subscribes: the server's offer, our answer.
  bo_pc->on_track([&](std::shared_ptr<MediaTrack> t) {
    t->on_rtp([&, kind = t->kind()](std::span<const std::byte> p) {
      std::lock_guard l(bo.m);
      bo.received[kind].emplace_back(p.begin(), p.end());
      bo.cv.notify_all();
    });
    std::lock_guard l(bo.m);
    bo.remote_tracks.push_back(std::move(t));
    bo.cv.notify_all();
  });
  auto sub = next_of(*bo_ws, "sfu-subscribe-offer");
  ASSERT_TRUE(sub.contains("sdp"));
  ASSERT_EQ(bo_pc->set_remote_description({"offer", std::string(sub.at("sdp").as_string())}), std::nullopt);
  auto answer = bo_pc->create_answer();
  ASSERT_TRUE(std::holds_alternative<SessionDescription>(answer)) << std::get<std::string>(answer);
  const auto& answer_sdp = std::get<SessionDescription>(answer).sdp;
  EXPECT_NE(answer_sdp.find("a=recvonly"), std::string::npos) << answer_sdp;
  ASSERT_EQ(bo_pc->set_local_description(std::get<SessionDescription>(answer)), std::nullopt);
  bo_ws->send(json::serialize(json::object{{"type", "sfu-subscribe-answer"}, {"connection", sub.at("connection")}, {"sdp", answer_sdp}}));

  ASSERT_TRUE(bo.wait([&] { return bo.remote_tracks.size() == 2; })) << "on_track";
  // Copies, then calls outside the lock: a track's getters wait for its loop thread, whose
  // callbacks take this lock.
  auto remote_tracks = [&] {
    std::lock_guard l(bo.m);
    return bo.remote_tracks;
  };
  for (const auto& t : remote_tracks()) {
    EXPECT_FALSE(t->local());
    EXPECT_EQ(t->stream_id(), ann_id);  // the SFU keeps the publisher's stream grouping
  }
  ASSERT_TRUE(ann.wait([&] { return ann.connected == 1; })) << "Ann's connection: " << transport_story(*ann_pc);
  ASSERT_TRUE(bo.wait([&] { return bo.connected == 1; })) << "Bo's connection: " << transport_story(*bo_pc);

  // 20 ms of audio and a video frame per tick. Video stays delta frames until the SFU asks for a
  // keyframe: it forwards none before one, so only its PLI lets Bo see video at all.
  std::uint16_t audio_seq = 100, video_seq = 5000;
  std::uint8_t frame = 0;
  int keyframes_sent = 0;
  int handled_requests = 0;
  auto tick = [&] {
    EXPECT_EQ(mic->send_rtp(rtp_packet(audio_seq, audio_seq * 960u, false, {0xF8, 0xFF, 0xFE, static_cast<std::uint8_t>(audio_seq)})), std::nullopt);
    ++audio_seq;
    bool key = false;
    {
      std::lock_guard l(ann.m);
      key = ann.keyframe_requests > handled_requests;
      handled_requests = ann.keyframe_requests;
    }
    keyframes_sent += key;
    EXPECT_EQ(cam->send_rtp(rtp_packet(video_seq++, frame * 3000u, true, vp8_payload(key, frame))), std::nullopt);
    ++frame;
    std::this_thread::sleep_for(20ms);  // the media clock: one packet per 20 ms, as a capture would
  };
  auto received = [&](const std::string& kind) {
    std::lock_guard l(bo.m);
    return bo.received[kind].size();
  };
  for (int i = 0; i < 500 && (received("audio") < 20 || received("video") < 20); ++i) tick();
  EXPECT_GE(received("audio"), 20u);
  EXPECT_GE(received("video"), 20u);
  EXPECT_GE(keyframes_sent, 1) << "the SFU asked for a keyframe";

  // Bo asks for a keyframe: the SFU passes it on to Ann (throttled, so give it time).
  int before;
  {
    std::lock_guard l(ann.m);
    before = ann.keyframe_requests;
  }
  std::shared_ptr<MediaTrack> bo_video;
  for (const auto& t : remote_tracks())
    if (t->kind() == "video") bo_video = t;
  ASSERT_TRUE(bo_video);
  EXPECT_EQ(bo_video->request_keyframe(), std::nullopt);
  bool passed_on = false;
  for (int i = 0; i < 150 && !passed_on; ++i) {
    tick();
    std::lock_guard l(ann.m);
    passed_on = ann.keyframe_requests > before;
  }
  EXPECT_TRUE(passed_on) << "Bo's PLI reached Ann";

  // Bo reports what it receives (RFC 3550 receiver reports, once a second): the server's
  // sfu-stats then has a loss figure for each of Bo's subscriptions (null until a report came).
  // Ann sends sender reports, so the SFU has her clock and sends Bo its own SRs on it (none
  // before: sfu/sender_reports.h); Bo's blocks name them, which gives the server Bo's round trip.
  json::object last_stats;
  auto reported = [&] {
    bo_ws->send(json::serialize(json::object{{"type", "sfu-stats"}}));
    last_stats = next_of(*bo_ws, "sfu-stats");
    const auto* subs = last_stats.if_contains("subscriptions");
    if (!subs || !subs->is_array() || subs->as_array().size() != 2) return false;
    for (const auto& sub : subs->as_array())
      if (!sub.as_object().at("loss").is_number()) return false;
    // The estimate exists once Bo's transport-wide feedback came (sfu/bandwidth_estimator.h).
    const auto* estimate = last_stats.if_contains("estimate");
    if (!estimate || !estimate->is_number()) return false;
    const auto* rtt = last_stats.if_contains("rtt");
    return rtt && rtt->is_number();
  };
  bool has_reports = false;
  for (int i = 0; i < 15 && !has_reports; ++i) {
    for (int k = 0; k < 15; ++k) tick();  // 300 ms of media between asks
    has_reports = reported();
  }
  EXPECT_TRUE(has_reports) << "the SFU got Bo's receiver reports, naming its SRs, and his transport feedback: "
                           << json::serialize(last_stats);
  // And Ann's side: the SFU's receiver reports name her SRs, so she knows her round trip.
  bool ann_rtt = false;
  for (int i = 0; i < 100 && !ann_rtt; ++i) {
    tick();
    int measured = 0;
    for (const auto& s : ann_pc->get_stats().rtp_streams)
      measured += s.local && s.sender_reports_sent > 0 && s.round_trip_time.has_value() && *s.round_trip_time < 1.0;
    ann_rtt = measured == 2;  // her microphone and her camera
  }
  EXPECT_TRUE(ann_rtt) << "Ann's sender reports came back in the SFU's report blocks";
  const auto bo_stats = bo_pc->get_stats();
  ASSERT_EQ(bo_stats.rtp_streams.size(), 2u);
  for (const auto& s : bo_stats.rtp_streams) {
    EXPECT_FALSE(s.local);
    EXPECT_GE(s.packets, 20u) << s.kind;
    EXPECT_EQ(s.pli_count, s.kind == "video" ? 1u : 0u) << s.kind;  // the one request Bo made
  }
  EXPECT_EQ(bo_stats.srtp_dropped, 0u);
  EXPECT_GT(bo_stats.transport_feedback_sent, 0u);

  // What Bo got is what Ann sent: the same payloads, in order, renumbered without gaps.
  std::map<std::string, std::vector<std::vector<std::byte>>> got;
  {
    std::lock_guard l(bo.m);  // a copy: the loop threads take this lock in their callbacks
    got = bo.received;
  }
  for (const auto& kind : {std::string("audio"), std::string("video")}) {
    const auto& packets = got[kind];
    std::optional<std::uint16_t> last_seq;
    std::optional<std::uint32_t> ssrc;
    for (const auto& p : packets) {
      auto v = rtp::parse_packet(p);
      ASSERT_TRUE(v) << kind;
      if (ssrc) {
        EXPECT_EQ(v->header.ssrc, *ssrc) << kind;
      }
      ssrc = v->header.ssrc;
      if (last_seq) {
        EXPECT_EQ(static_cast<std::uint16_t>(*last_seq + 1), v->header.sequence) << kind;
      }
      last_seq = v->header.sequence;
      // Bo's answer kept the mid and transport-cc of the extensions offered (RFC 8285 §6): the
      // SFU writes nothing else (no abs-send-time, no audio level).
      EXPECT_EQ(v->extensions.count, 2u) << kind;
      if (kind == "audio") {
        ASSERT_EQ(v->payload.size(), 4u);
        EXPECT_EQ(std::to_integer<int>(v->payload[0]), 0xF8);
      } else {
        ASSERT_GE(v->payload.size(), 5u);
        EXPECT_EQ(std::to_integer<int>(v->payload[0]), 0x10);  // the VP8 descriptor as sent
      }
    }
    // The first video packet Bo decodes from is a keyframe.
    if (kind == "video" && !packets.empty()) {
      auto v = rtp::parse_packet(packets.front());
      EXPECT_EQ(std::to_integer<int>(v->payload[1]) & 1, 0) << "starts on a keyframe";
    }
  }
  const auto stats = ann_pc->get_stats();
  ASSERT_EQ(stats.rtp_streams.size(), 2u);
  for (const auto& s : stats.rtp_streams) {
    EXPECT_TRUE(s.local);
    EXPECT_GT(s.packets, 20u);
    EXPECT_NE(s.ssrc, 0u);
  }
  EXPECT_EQ(stats.srtp_dropped, 0u);

  // Ann's video offer has a=rtcp-fb nack: a number she skips is a gap the SFU asks her for
  // (its publisher leg's NACK, RFC 4585 §6.2.1), which she reads (she never sent it, so she
  // has nothing to send again).
  // The SFU forwards the gap as a gap, and Bo's answer kept the SFU's nack too: Bo asks the
  // SFU (whose history has nothing for it either).
  auto video_nacks = [](const std::shared_ptr<PeerConnection>& pc) {
    for (const auto& s : pc->get_stats().rtp_streams)
      if (s.kind == "video") return s.nack_count;
    return std::uint64_t{0};
  };
  const auto ann_before = video_nacks(ann_pc), bo_before = video_nacks(bo_pc);  // loopback: 0 so far
  ++video_seq;
  bool nacked = false, bo_nacked = false;
  for (int i = 0; i < 150 && !(nacked && bo_nacked); ++i) {
    tick();
    nacked = video_nacks(ann_pc) > ann_before;
    bo_nacked = video_nacks(bo_pc) > bo_before;
  }
  for (const auto& s : ann_pc->get_stats().rtp_streams) {
    if (s.kind == "video") {
      EXPECT_EQ(s.retransmitted_packets_sent, 0u) << "nothing to resend: never sent";
    }
  }
  EXPECT_TRUE(nacked) << "the SFU's NACK for the number Ann skipped";
  EXPECT_TRUE(bo_nacked) << "Bo's NACK for the gap the SFU forwarded";
  ann_pc->close();
  bo_pc->close();
  service.stop();
}

// Simulcast from a native publisher (TrackInit::rids, RFC 8853): three layers, each its own
// SSRC with the rid extension and no a=ssrc, as Chrome sends them. The SFU's answer takes all
// three; it binds the layers by mid + rid, asks each layer for a keyframe by its SSRC (the
// publisher sees which layer), and forwards Bo one of them as one plain stream, which goes on
// without a seam when Bo's constraint moves it to another layer.
TEST(SfuNativePair, ASimulcastPublisherReachesASubscriberAsOneStream) {
  spdlog::set_level(spdlog::level::warn);
  server::ServeNode service(sfu_serve_config());
  ASSERT_EQ(service.start(), "");
  auto join = [&](const std::string& name) {
    auto c = std::make_unique<WsClient>();
    EXPECT_TRUE(c->connect(service.port(), "/ws")) << c->error();
    c->next();  // welcome
    c->send(json::serialize(json::object{{"type", "join"}, {"room", "layers"}, {"name", name}, {"mode", "sfu"}}));
    EXPECT_TRUE(next_of(*c, "joined").contains("self"));
    return c;
  };
  auto ann_ws = join("Ann");
  auto bo_ws = join("Bo");

  Runtime runtime(2);
  Shared ann, bo;
  auto ann_pc = PeerConnection::create(runtime, loopback_only());
  auto bo_pc = PeerConnection::create(runtime, loopback_only());
  // Before any description is set: Ann may connect while Bo is still being offered.
  for (auto [pc, s] : {std::pair{ann_pc.get(), &ann}, std::pair{bo_pc.get(), &bo}})
    pc->on_connection_state([s](PeerConnectionState st) {
      std::lock_guard l(s->m);
      if (st == PeerConnectionState::kConnected) ++s->connected;
      s->cv.notify_all();
    });
  EXPECT_EQ(std::get<std::string>(ann_pc->add_track({"audio", "", "", {"q"}})).rfind("NotSupportedError", 0), 0u);
  auto video = ann_pc->add_track({"video", "", "", {"q", "h", "f"}});
  ASSERT_TRUE(std::holds_alternative<std::shared_ptr<MediaTrack>>(video)) << std::get<std::string>(video);
  auto cam = std::get<std::shared_ptr<MediaTrack>>(video);
  std::map<std::string, int> layer_requests;  // under ann.m
  cam->on_layer_keyframe_request([&](const std::string& rid) {
    std::lock_guard l(ann.m);
    ++layer_requests[rid];
    ann.cv.notify_all();
  });
  auto offer = ann_pc->create_offer();
  ASSERT_TRUE(std::holds_alternative<SessionDescription>(offer));
  const auto offer_sdp = std::get<SessionDescription>(offer).sdp;
  EXPECT_NE(offer_sdp.find("a=simulcast:send q;h;f"), std::string::npos) << offer_sdp;
  ASSERT_EQ(ann_pc->set_local_description(std::get<SessionDescription>(offer)), std::nullopt);
  ann_ws->send(json::serialize(json::object{{"type", "sfu-publish"}, {"sdp", offer_sdp}, {"height", 720}}));
  auto published = next_of(*ann_ws, "sfu-publish-answer");
  ASSERT_TRUE(published.contains("sdp")) << json::serialize(published);
  ASSERT_EQ(ann_pc->set_remote_description({"answer", std::string(published.at("sdp").as_string())}), std::nullopt);
  EXPECT_EQ(cam->rids(), (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_EQ(cam->send_rtp(rtp_packet(1, 0, true, vp8_payload(false, 0))).value_or("").rfind("TypeError", 0), 0u)
      << "a simulcast track's packet names its layer";
  EXPECT_EQ(cam->send_rtp(rtp_packet(1, 0, true, vp8_payload(false, 0)), "x").value_or("").rfind("InvalidStateError", 0), 0u);

  bo_pc->on_track([&](std::shared_ptr<MediaTrack> t) {
    t->on_rtp([&](std::span<const std::byte> p) {
      std::lock_guard l(bo.m);
      bo.received["video"].emplace_back(p.begin(), p.end());
      bo.cv.notify_all();
    });
    std::lock_guard l(bo.m);
    bo.remote_tracks.push_back(std::move(t));
  });
  auto sub = next_of(*bo_ws, "sfu-subscribe-offer");
  ASSERT_TRUE(sub.contains("sdp"));
  const std::string sub_sdp(sub.at("sdp").as_string());
  EXPECT_EQ(sub_sdp.find("a=simulcast"), std::string::npos) << "the subscriber sees one stream";
  ASSERT_EQ(bo_pc->set_remote_description({"offer", sub_sdp}), std::nullopt);
  auto answer = bo_pc->create_answer();
  ASSERT_TRUE(std::holds_alternative<SessionDescription>(answer));
  ASSERT_EQ(bo_pc->set_local_description(std::get<SessionDescription>(answer)), std::nullopt);
  bo_ws->send(json::serialize(json::object{{"type", "sfu-subscribe-answer"}, {"connection", sub.at("connection")},
                                           {"sdp", std::get<SessionDescription>(answer).sdp}}));
  ASSERT_TRUE(ann.wait([&] { return ann.connected == 1; })) << "Ann's connection: " << transport_story(*ann_pc);
  ASSERT_TRUE(bo.wait([&] { return bo.connected == 1; })) << "Bo's connection: " << transport_story(*bo_pc);

  // Each layer has its own numbering; the payload's last byte names the layer (0, 1, 2). A
  // layer sends a keyframe when it was asked for one.
  const std::vector<std::string> rids{"q", "h", "f"};
  std::vector<std::uint16_t> seq{100, 2000, 30000};
  std::map<std::string, int> handled;
  std::uint8_t frame = 0;
  auto tick = [&] {
    std::map<std::string, int> asked;
    {
      std::lock_guard l(ann.m);
      asked = layer_requests;
    }
    for (std::size_t i = 0; i < rids.size(); ++i) {
      const bool key = asked[rids[i]] > handled[rids[i]];
      handled[rids[i]] = asked[rids[i]];
      auto payload = vp8_payload(key, frame);
      payload.push_back(static_cast<std::uint8_t>(i));
      EXPECT_EQ(cam->send_rtp(rtp_packet(seq[i]++, frame * 3000u, true, payload), rids[i]), std::nullopt);
    }
    ++frame;
    std::this_thread::sleep_for(20ms);
  };
  auto received = [&] {
    std::lock_guard l(bo.m);
    return bo.received["video"].size();
  };
  for (int i = 0; i < 500 && received() < 30; ++i) tick();
  ASSERT_GE(received(), 30u);
  {
    std::lock_guard l(ann.m);
    int total = 0;
    for (const auto& [rid, n] : layer_requests) {
      EXPECT_TRUE(rid == "q" || rid == "h" || rid == "f") << "'" << rid << "'";
      total += n;
    }
    EXPECT_GE(total, 1) << "the SFU asked a layer for a keyframe";
  }
  // Bo wants at most 180 lines: the quarter-size layer q (of 720). The SFU switches at q's
  // next keyframe, which it asks Ann's q layer for; the stream Bo sees just continues.
  auto last_layer = [&] {
    std::lock_guard l(bo.m);
    const auto& v = bo.received["video"];
    return v.empty() ? -1 : std::to_integer<int>(v.back().back());
  };
  bo_ws->send(json::serialize(json::object{{"type", "sfu-constraints"}, {"maxHeight", 180}}));
  for (int i = 0; i < 300 && last_layer() != 0; ++i) tick();
  EXPECT_EQ(last_layer(), 0) << "Bo moved to layer q";
  for (int i = 0; i < 5; ++i) tick();
  std::vector<std::vector<std::byte>> got;
  {
    std::lock_guard l(bo.m);
    got = bo.received["video"];
  }
  // One stream: one SSRC, gap-free numbering, starting on a keyframe, across the switch from
  // the SFU's first choice to q; every packet is one Ann sent on a layer.
  std::optional<std::uint16_t> last;
  std::optional<std::uint32_t> ssrc;
  std::set<int> layers;
  for (const auto& p : got) {
    auto v = rtp::parse_packet(p);
    ASSERT_TRUE(v);
    if (ssrc) {
      EXPECT_EQ(v->header.ssrc, *ssrc);
    }
    ssrc = v->header.ssrc;
    if (last) {
      EXPECT_EQ(static_cast<std::uint16_t>(*last + 1), v->header.sequence);
    }
    last = v->header.sequence;
    ASSERT_GE(v->payload.size(), 6u);
    layers.insert(std::to_integer<int>(v->payload.back()));
  }
  EXPECT_EQ(std::to_integer<int>(rtp::parse_packet(got.front())->payload[1]) & 1, 0) << "starts on a keyframe";
  for (int l : layers) EXPECT_LE(l, 2);
  EXPECT_TRUE(layers.contains(0));
  // The first q packet Bo got is a keyframe (the switch is keyframe-gated).
  for (const auto& p : got) {
    auto v = rtp::parse_packet(p);
    if (std::to_integer<int>(v->payload.back()) != 0) continue;
    EXPECT_EQ(std::to_integer<int>(v->payload[1]) & 1, 0) << "q starts on a keyframe";
    break;
  }
  std::printf("simulcast: Bo received layers");
  for (int l : layers) std::printf(" %s", rids[static_cast<std::size_t>(l)].c_str());
  std::printf(" in %zu packets\n", got.size());
  EXPECT_EQ(bo_pc->get_stats().srtp_dropped, 0u);
  EXPECT_EQ(ann_pc->get_stats().srtp_dropped, 0u);
  ann_pc->close();
  bo_pc->close();
  service.stop();
}

}  // namespace
}  // namespace peerkit
