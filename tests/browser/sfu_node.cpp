// A one-worker SFU for tests/browser/sfu-media.js: sfu::Worker on a WorkerDriver bound to the
// address given (inside the test's network namespace), driven by one JSON request per stdin
// line, one JSON reply per stdout line:
//   {"op":"publish","id":N,"sdp":OFFER}      → {"answer":SDP}   (build_sfu_answer, tracks added)
//   {"op":"subscribe","id":M,"to":N}         → {"offer":SDP}    (build_sfu_offer of N's tracks;
//                                                               "to":[N1,N2,…] for several)
//   {"op":"answer","id":M,"sdp":ANSWER}      → {"ok":true}      (M joins, subscriptions made)
//   {"op":"layer","id":M,"track":I,"layer":L} → {"ok":true}   (the highest layer M wants of
//                                                               its I-th track; the estimate
//                                                               may give less)
//   {"op":"stats"}                           → counters of the worker and router
// The first line printed is {"port":P}. Errors are {"error":"…"}; the process keeps going.
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <future>
#include <iostream>
#include <map>
#include <string>

#include "dtls/certificate.h"
#include "dtls/context.h"
#include "sdp/media_answer.h"
#include "sdp/sfu_offer.h"
#include "sdp/webrtc_params.h"
#include "sfu/conference.h"
#include "sfu/driver/worker_driver.h"

namespace json = boost::json;
using namespace peerkit;

namespace {

struct Published {
  sdp::AcceptedMedia media;
  sfu::TrackId track;
};
struct Pending {
  std::vector<sdp::ForwardedTrack> tracks;
  std::vector<sfu::TrackId> sources;
  sdp::SessionDescription offer;
};

class Node {
 public:
  Node(net::Loop& loop, std::shared_ptr<const dtls::Certificate> cert)
      : cert_(cert), worker_(*dtls::Context::create(cert), {}), driver_(loop, worker_) {}

  std::string bind(const std::string& address) {
    auto a = SocketAddress::parse(address);
    if (!a) return "bad address " + address;
    auto why = driver_.bind(*a);
    if (!why.empty()) return why;
    const auto local = driver_.local_address();
    candidate_ = "1 1 udp 2130706431 " + local.ip().to_string() + ' ' +
                 std::to_string(local.port()) + " typ host";
    return "";
  }
  std::uint16_t port() const { return driver_.local_address().port(); }
  void start() { driver_.start(); }

  json::object handle(const json::object& r) {
    const std::string op(r.at("op").as_string());
    if (op == "publish") return publish(id_of(r, "id"), std::string(r.at("sdp").as_string()));
    if (op == "subscribe") {
      std::vector<std::uint32_t> to;
      if (r.at("to").is_array()) {
        for (const auto& v : r.at("to").as_array())
          to.push_back(static_cast<std::uint32_t>(v.to_number<std::int64_t>()));
      } else {
        to.push_back(id_of(r, "to"));
      }
      return subscribe(id_of(r, "id"), to);
    }
    if (op == "answer") return answered(id_of(r, "id"), std::string(r.at("sdp").as_string()));
    if (op == "stats") return stats();
    if (op == "layer") {
      auto s = subscriptions_.find(id_of(r, "id"));
      const auto track = static_cast<std::size_t>(r.at("track").to_number<std::int64_t>());
      if (s == subscriptions_.end() || track >= s->second.size())
        return {{"error", "no such track"}};
      worker_.router().set_layer(s->second[track],
                                 static_cast<int>(r.at("layer").to_number<std::int64_t>()));
      driver_.pump();
      return {{"ok", true}};
    }
    return {{"error", "unknown op " + op}};
  }

 private:
  static std::uint32_t id_of(const json::object& r, const char* key) {
    return static_cast<std::uint32_t>(r.at(key).to_number<std::int64_t>());
  }
  sdp::LocalParameters local(std::uint32_t id) const {
    sdp::LocalParameters l;
    l.ice_ufrag = "sfu" + std::to_string(id);
    l.ice_pwd = "worker-password-for-" + std::to_string(id) + "-xxxxxx";
    const auto fp = cert_->fingerprint();
    l.fingerprint.algorithm = fp.algorithm;
    l.fingerprint.digest = fp.digest;
    l.session_id = 1000 + id;
    return l;
  }
  json::object publish(std::uint32_t id, const std::string& text) {
    auto offer = sdp::parse(text);
    if (!offer) return {{"error", "offer does not parse"}};
    sdp::SfuAnswerOptions o;
    o.candidates = {candidate_};
    auto a = sdp::build_sfu_answer(*offer, local(id), o);
    if (!a) return {{"error", a.error()}};
    const auto l = local(id);
    const dtls::Role role =
        a->local_setup == sdp::Setup::kPassive ? dtls::Role::kServer : dtls::Role::kClient;
    if (!worker_.add_participant({id},
                                 {l.ice_ufrag, l.ice_pwd, sfu::dtls_fingerprints(a->remote_dtls), role}))
      return {{"error", "participant refused"}};
    for (const auto& m : a->media) {
      auto track = worker_.router().add_track(sfu::track_params(m, {id}));
      if (!track) return {{"error", "track refused"}};
      published_[id].push_back({m, *track});
    }
    driver_.pump();
    return {{"answer", a->description.to_string()}};
  }

  json::object subscribe(std::uint32_t id, const std::vector<std::uint32_t>& publishers) {
    Pending p;
    std::uint32_t n = 0;
    for (std::uint32_t to : publishers) {
      auto it = published_.find(to);
      if (it == published_.end()) return {{"error", "nothing published by " + std::to_string(to)}};
      for (const auto& pub : it->second) {
        sdp::ForwardedTrack f;
        f.mid = std::to_string(n);
        f.kind = pub.media.kind;
        f.codec = pub.media.codec;
        f.codec.rtcp_fb = f.kind == "audio" ? std::vector<std::string>{"transport-cc"}
                                            : std::vector<std::string>{"nack", "nack pli",
                                                                       "ccm fir", "transport-cc"};
        f.rtx_pt = pub.media.rtx_pt;
        f.ssrc = 0x51000000u + id * 64 + n * 2;
        f.rtx_ssrc = f.rtx_pt ? f.ssrc + 1 : 0;
        f.stream_id = "publisher-" + std::to_string(to);
        f.track_id = pub.media.kind + "-" + std::to_string(n);
        p.tracks.push_back(f);
        p.sources.push_back(pub.track);
        ++n;
      }
    }
    sdp::SfuOfferOptions o;
    o.candidates = {candidate_};
    auto offer = sdp::build_sfu_offer(p.tracks, local(id), ids_[id], o);
    if (!offer) return {{"error", offer.error()}};
    p.offer = *offer;
    const std::string text = offer->to_string();
    pending_[id] = std::move(p);
    return {{"offer", text}};
  }

  json::object answered(std::uint32_t id, const std::string& text) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return {{"error", "no offer pending for " + std::to_string(id)}};
    auto answer = sdp::parse(text);
    if (!answer || answer->media.empty()) return {{"error", "answer does not parse"}};
    auto dtls = sdp::dtls_parameters(*answer, answer->media.front());
    if (!dtls) return {{"error", dtls.error()}};
    const auto l = local(id);
    // The browser answers our actpass: active makes us the DTLS server.
    const dtls::Role role =
        dtls->setup == sdp::Setup::kActive ? dtls::Role::kServer : dtls::Role::kClient;
    if (!worker_.add_participant({id}, {l.ice_ufrag, l.ice_pwd, sfu::dtls_fingerprints(*dtls), role}))
      return {{"error", "participant refused"}};
    auto ours = sdp::parse_media_sections(it->second.offer);
    if (!ours) return {{"error", ours.error()}};
    for (std::size_t i = 0; i < it->second.tracks.size(); ++i) {
      const auto& f = it->second.tracks[i];
      sfu::SubscriberParams s;
      s.ssrc = f.ssrc;
      s.payload_type = f.codec.pt;
      s.rtx_ssrc = f.rtx_ssrc;
      s.rtx_payload_type = f.rtx_pt.value_or(0);
      s.extensions = sfu::extension_map((*ours)[i].extensions);
      s.mid = f.mid;
      const bool video = f.kind == "video";
      auto sub = worker_.router().subscribe(
          {id}, it->second.sources[i], s, video ? std::optional<int>(2) : std::optional<int>(0),
          sfu::OutboundStream::Config{f.codec.clock_rate, static_cast<std::uint16_t>(1000 + i),
                                      7000u * (static_cast<std::uint32_t>(i) + 1), 1, 1},
          static_cast<std::uint16_t>(20000 + i));
      if (!sub) return {{"error", "subscription refused"}};
      subscriptions_[id].push_back(*sub);
    }
    pending_.erase(it);
    driver_.pump();
    return {{"ok", true}};
  }

  json::object stats() {
    const auto& w = worker_.stats();
    const auto& r = worker_.router().stats();
    json::object estimates;
    for (const auto& [id, subs] : subscriptions_)
      if (const auto* b = worker_.router().bandwidth({id}))
        estimates[std::to_string(id)] = json::object{
            {"estimate", b->estimate_bps()},    {"acked", b->acked_bps().value_or(0)},
            {"loss", b->loss_fraction()},       {"usage", static_cast<int>(b->usage())},
            {"slow_start", b->in_slow_start()}, {"reported", b->reported()}};
    return {{"estimates", estimates},
            {"srtp_in", w.srtp_in},
            {"srtp_out", w.srtp_out},
            {"unprotect_failures", w.unprotect_failures},
            {"undeliverable", w.undeliverable},
            {"ingress", r.ingress},
            {"forwarded", r.forwarded},
            {"keyframe_requests", r.keyframe_requests_sent},
            {"twcc_reports", r.twcc_reports_sent},
            {"sender_reports", r.sender_reports_sent},
            {"receiver_reports", r.receiver_reports_sent},
            {"rtt_samples", r.rtt_samples},
            {"publisher_nacks", r.publisher_nacks_sent},
            {"repaired", r.repaired},
            {"rtx_unrequested", r.rtx_unrequested},
            {"padding", r.padding_packets},
            {"layer_changes", r.layer_changes},
            {"datagrams_in", driver_.datagrams_in()}};
  }

  std::shared_ptr<const dtls::Certificate> cert_;
  sfu::Worker worker_;
  sfu::WorkerDriver driver_;
  std::string candidate_;
  std::map<std::uint32_t, std::vector<Published>> published_;
  std::map<std::uint32_t, Pending> pending_;
  std::map<std::uint32_t, sdp::ExtensionIds> ids_;
  std::map<std::uint32_t, std::vector<sfu::SubscriptionId>> subscriptions_;
};

}  // namespace

int main(int argc, char** argv) {
  const std::string address = argc > 1 ? argv[1] : "127.0.0.1:0";
  net::Loop loop("sfu-node");
  auto cert = dtls::Certificate::generate();
  if (!cert) {
    std::cerr << "certificate: " << cert.error() << '\n';
    return 1;
  }
  Node node(loop, *cert);
  if (auto why = node.bind(address); !why.empty()) {
    std::cerr << why << '\n';
    return 1;
  }
  boost::asio::post(loop.context(), [&] { node.start(); });
  loop.start();
  std::cout << json::serialize(json::object{{"port", node.port()}}) << std::endl;
  std::string line;
  while (std::getline(std::cin, line)) {
    boost::system::error_code ec;
    auto v = json::parse(line, ec);
    json::object reply;
    if (ec || !v.is_object() || !v.as_object().contains("op")) {
      reply = {{"error", "a JSON object with \"op\", one per line"}};
    } else {
      std::promise<json::object> done;
      boost::asio::post(loop.context(), [&] {
        try {
          done.set_value(node.handle(v.as_object()));
        } catch (const std::exception& e) {
          done.set_value(json::object{{"error", e.what()}});
        }
      });
      reply = done.get_future().get();
    }
    std::cout << json::serialize(reply) << std::endl;
  }
  loop.stop();
  return 0;
}
