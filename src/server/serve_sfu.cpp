#include "server/serve_sfu.h"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/json.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "dtls/certificate.h"
#include "dtls/context.h"
#include "sfu/conference.h"
#include "sfu/driver/worker_driver.h"

namespace peerkit::server {

namespace json = boost::json;

namespace {

// How often a worker publishes its counters for /metrics.
constexpr auto kTotalsInterval = std::chrono::seconds(1);

std::string error_text(std::string_view request, std::string_view message) {
  return json::serialize(json::object{
      {"type", "error"}, {"code", "sfu-refused"}, {"message", message}, {"request", request}});
}

}  // namespace

struct ServeSfu::Slot {
  explicit Slot(std::size_t index) : loop("sfu-" + std::to_string(index)) {}
  net::Loop loop;
  CryptoRandom random;
  std::unique_ptr<sfu::Worker> worker;
  std::unique_ptr<sfu::WorkerDriver> driver;
  std::unique_ptr<sfu::Conference> conference;
  std::unique_ptr<boost::asio::steady_timer> totals_timer;
  // Worker thread only: each member's room, for the replies.
  std::unordered_map<std::string, std::string> rooms;
  std::size_t pinned = 0;   // serve loop only: rooms pinned here
  std::size_t entered = 0;  // serve loop only: their members
  std::uint16_t port = 0;

  // The counters /metrics reads from another thread: a copy made once a kTotalsInterval.
  mutable std::mutex totals_mutex;
  Totals totals;

  // Publishes the counters now and every kTotalsInterval; stop() cancels it before the loop
  // ends, and the slot outlives its loop.
  void tick() {
    publish_totals();
    totals_timer->expires_after(kTotalsInterval);
    totals_timer->async_wait([this](boost::system::error_code ec) {
      if (!ec) tick();
    });
  }

  void publish_totals() {
    const auto& w = worker->stats();
    const auto& r = worker->router().stats();
    const Totals now{conference->rooms(),      conference->members(),
                     w.srtp_in,                w.srtp_out,
                     r.forwarded,              r.rtx_sent,
                     r.keyframe_requests_sent, r.padding_packets,
                     w.unprotect_failures,     r.ingress_dropped,
                     r.layer_changes,          driver->datagrams_in(),
                     r.sender_reports_sent,    r.receiver_reports_sent,
                     r.paced,                  r.pacer_drops,
                     driver->forwarding_latency()};
    std::lock_guard lock(totals_mutex);
    totals = now;
  }
};

ServeSfu::ServeSfu(const SfuConfig& config, net::Loop& serve_loop, signaling::RoomsServer& rooms)
    : config_(config), serve_loop_(serve_loop), rooms_(rooms) {}

ServeSfu::~ServeSfu() {
  stop();
}

std::string ServeSfu::start() {
  auto certificate = dtls::Certificate::generate();
  if (!certificate) return "SFU certificate: " + certificate.error();
  auto context = dtls::Context::create(*certificate);
  if (!context) return "SFU DTLS context: " + context.error();
  const unsigned n =
      config_.workers ? config_.workers : std::max(1u, std::thread::hardware_concurrency());
  for (unsigned i = 0; i < n; ++i) {
    auto slot = std::make_unique<Slot>(i);
    sfu::Worker::Config wc;
    wc.max_participants = 2 * config_.max_members_per_worker;  // publish + subscribe each
    // Every member may publish a microphone, a camera, a screen and one more.
    wc.router.max_tracks = 4 * config_.max_members_per_worker;
    wc.router.loudest_audio = config_.loudest_audio;
    slot->worker = std::make_unique<sfu::Worker>(*context, wc);
    slot->driver = std::make_unique<sfu::WorkerDriver>(slot->loop, *slot->worker);
    const std::uint16_t port = config_.port ? static_cast<std::uint16_t>(config_.port + i) : 0;
    if (config_.port && config_.port + i > 65535) return "--sfu-port leaves no room for worker " + std::to_string(i);
    if (auto why = slot->driver->bind(SocketAddress(config_.ip, port)); !why.empty())
      return "SFU worker " + std::to_string(i) + ": " + why + " (use --sfu-port or --no-sfu)";
    slot->port = slot->driver->local_address().port();
    sfu::Conference::Config c;
    // RFC 8445 §5.1.2.1 host priority, component 1; the worker's one address and port.
    c.candidates = {"1 1 udp 2130706431 " + config_.announce.to_string() + ' ' +
                    std::to_string(slot->port) + " typ host"};
    c.max_members = config_.max_members_per_worker;
    slot->conference =
        std::make_unique<sfu::Conference>(*slot->worker, *certificate, slot->random, c);
    slot->driver->on_event = [index = i](const sfu::Worker::Event& e) {
      using Kind = sfu::Worker::Event::Kind;
      if (e.kind == Kind::kFailed)
        spdlog::info("sfu-{}: connection {} failed: {}", index, e.participant.value, e.detail);
      else
        spdlog::debug("sfu-{}: connection {} {}", index, e.participant.value,
                      e.kind == Kind::kConnected ? "up" : "down");
    };
    slots_.push_back(std::move(slot));
  }
  for (auto& slot : slots_) {
    Slot* s = slot.get();
    s->totals_timer = std::make_unique<boost::asio::steady_timer>(s->loop.context());
    s->loop.post([s] {
      s->driver->start();
      s->tick();
    });
    s->loop.start();
  }
  std::string ports;
  for (const auto& s : slots_) ports += (ports.empty() ? "" : ",") + std::to_string(s->port);
  spdlog::info("sfu: {} worker(s) on {} udp port(s) {}, announced as {}", slots_.size(),
               config_.ip.to_string(), ports, config_.announce.to_string());
  return "";
}

void ServeSfu::stop() {
  *alive_ = false;
  for (auto& slot : slots_) {
    if (!slot->loop.running()) continue;
    std::promise<void> done;
    Slot* s = slot.get();
    s->loop.post([s, &done] {
      s->driver->stop();
      if (s->totals_timer) s->totals_timer->cancel();
      done.set_value();
    });
    done.get_future().wait();
    s->loop.stop();
  }
}

std::vector<std::uint16_t> ServeSfu::ports() const {
  std::vector<std::uint16_t> out;
  for (const auto& s : slots_) out.push_back(s->port);
  return out;
}

ServeSfu::Slot* ServeSfu::slot_of(std::string_view room) {
  auto it = pins_.find(std::string(room));
  return it == pins_.end() ? nullptr : slots_[it->second.slot].get();
}

void ServeSfu::reply(const std::string& room, const std::string& member, std::string text) {
  serve_loop_.post([this, alive = alive_, room, member, text = std::move(text)]() mutable {
    if (*alive) rooms_.deliver(room, member, std::move(text));
  });
}

void ServeSfu::flush(Slot& slot) {
  while (auto m = slot.conference->poll_message()) {
    auto it = slot.rooms.find(m->member);
    if (it == slot.rooms.end()) continue;
    json::object o{{"type", m->type}, {"connection", m->connection}};
    if (!m->sdp.empty()) o["sdp"] = m->sdp;
    reply(it->second, m->member, json::serialize(o));
  }
  slot.driver->pump();
}

void ServeSfu::enter(std::string_view room_view, std::string_view member_view) {
  if (slots_.empty()) return;
  std::string room(room_view), member(member_view);
  auto [pin, created] = pins_.try_emplace(room);
  if (created) {
    // The worker with the fewest members takes the new room (then the fewest rooms).
    std::size_t best = 0;
    for (std::size_t i = 1; i < slots_.size(); ++i)
      if (std::pair(slots_[i]->entered, slots_[i]->pinned) <
          std::pair(slots_[best]->entered, slots_[best]->pinned))
        best = i;
    pin->second.slot = best;
    ++slots_[best]->pinned;
  }
  ++pin->second.members;
  Slot* s = slots_[pin->second.slot].get();
  ++s->entered;
  s->loop.post([this, s, room, member] {
    try {
      if (auto why = s->conference->join(room, member); !why.empty()) {
        reply(room, member, error_text("join", why));
        return;
      }
      s->rooms[member] = room;
    } catch (const std::exception& e) {
      spdlog::warn("sfu: entering a room failed: {}", e.what());
      reply(room, member, error_text("join", "the SFU could not take this member"));
    }
    flush(*s);
  });
}

void ServeSfu::exit(std::string_view room_view, std::string_view member_view) {
  auto pin = pins_.find(std::string(room_view));
  if (pin == pins_.end()) return;
  Slot* s = slots_[pin->second.slot].get();
  --s->entered;
  if (--pin->second.members == 0) {
    --s->pinned;
    pins_.erase(pin);
  }
  s->loop.post([this, s, member = std::string(member_view)] {
    try {
      s->conference->leave(member);
    } catch (const std::exception& e) {
      spdlog::warn("sfu: leaving a room failed: {}", e.what());
    }
    flush(*s);
    s->rooms.erase(member);
  });
}

void ServeSfu::request(std::string_view room_view, std::string_view member_view,
                       std::string_view type_view, std::string_view text) {
  Slot* s = slot_of(room_view);
  if (!s) return;
  s->loop.post([this, s, room = std::string(room_view), member = std::string(member_view),
                type = std::string(type_view), text = std::string(text)] {
    try {
      handle(*s, room, member, type, text);
    } catch (const std::exception& e) {
      // Nothing a client sends may stop a worker: refuse the request, keep the room.
      spdlog::warn("sfu: {} failed: {}", type, e.what());
      reply(room, member, error_text(type, "the request could not be handled"));
    }
    flush(*s);
  });
}

void ServeSfu::handle(Slot& slot, const std::string& room, const std::string& member,
                      const std::string& type, const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);  // the rooms core checked its shape already
  if (ec || !value.is_object()) return;
  const auto& o = value.as_object();
  auto sdp = [&o]() -> std::string_view {
    const auto* v = o.if_contains("sdp");
    return v && v->is_string() ? std::string_view(v->as_string()) : std::string_view();
  };
  if (type == "sfu-publish") {
    int height = 0;
    if (const auto* h = o.if_contains("height"); h && h->is_number())
      height = static_cast<int>(h->to_number<std::int64_t>());
    std::string_view screen;
    if (const auto* v = o.if_contains("screen"); v && v->is_string()) screen = v->as_string();
    auto answer = slot.conference->publish(member, sdp(), height, screen);
    reply(room, member,
          answer ? json::serialize(json::object{{"type", "sfu-publish-answer"}, {"sdp", *answer}})
                 : error_text(type, answer.error()));
  } else if (type == "sfu-subscribe-answer") {
    // An integer (the rooms core checked); a number no connection has is answered "stale".
    const auto& c = o.at("connection");
    const std::uint64_t wide = c.is_uint64()                      ? c.as_uint64()
                               : c.is_int64() && c.as_int64() > 0 ? std::uint64_t(c.as_int64())
                                                                  : 0;
    const auto connection = static_cast<std::uint32_t>(std::min<std::uint64_t>(wide, UINT32_MAX));
    const auto why = slot.conference->subscribe_answer(member, connection, sdp());
    if (!why.empty()) reply(room, member, error_text(type, why));
  } else if (type == "sfu-constraints") {
    std::optional<int> max;
    if (const auto* h = o.if_contains("maxHeight"); h && h->is_number())
      max = static_cast<int>(h->to_number<std::int64_t>());
    std::map<std::string, int> sources;
    if (const auto* src = o.if_contains("sources"); src && src->is_object())
      for (const auto& [id, v] : src->as_object())
        sources[std::string(id)] = static_cast<int>(v.to_number<std::int64_t>());
    slot.conference->constrain(member, max, std::move(sources));
  } else if (type == "sfu-stats") {
    json::object out{{"type", "sfu-stats"}};
    if (auto info = slot.conference->info(member)) {
      out["publishConnected"] = info->publish_connected;
      out["subscribeConnected"] = info->subscribe_connected;
      out["estimate"] = info->estimate_bps ? json::value(*info->estimate_bps) : json::value();
      out["loss"] = info->loss;
      out["rtt"] = info->rtt ? json::value(static_cast<double>(info->rtt->us()) / 1e6) : json::value();
      json::array subs;
      for (const auto& sub : info->subscriptions)
        subs.push_back(json::object{
            {"source", sub.source},
            {"kind", sub.kind},
            {"layer", sub.layer ? json::value(*sub.layer) : json::value()},
            {"loss", sub.loss ? json::value(*sub.loss) : json::value()},
            {"rtx", sub.rtx}});
      out["subscriptions"] = std::move(subs);
    }
    reply(room, member, json::serialize(out));
  }
}

std::vector<ServeSfu::Totals> ServeSfu::totals() const {
  std::vector<Totals> out;
  for (const auto& slot : slots_) {
    std::lock_guard lock(slot->totals_mutex);
    out.push_back(slot->totals);
  }
  return out;
}

void ServeSfu::collect_metrics(net::MetricFamilies& out) const {
  using prometheus::MetricType;
  const auto all = totals();
  auto family = [&](std::string_view name, MetricType type, std::string_view help,
                    std::uint64_t Totals::*field) {
    std::vector<net::Sample> samples;
    for (std::size_t i = 0; i < all.size(); ++i)
      samples.push_back({{{"worker", std::to_string(i)}}, static_cast<double>(all[i].*field)});
    net::add_family(out, "peerkit_sfu_" + std::string(name), std::string(help), type, samples);
  };
  const auto gauge = MetricType::Gauge;
  const auto counter = MetricType::Counter;
  family("rooms", gauge, "SFU rooms on the worker.", &Totals::rooms);
  family("members", gauge, "Members of SFU rooms on the worker.", &Totals::members);
  family("datagrams_in_total", counter, "UDP datagrams the worker's port received.",
         &Totals::datagrams_in);
  family("srtp_in_total", counter, "SRTP/SRTCP packets unprotected.", &Totals::srtp_in);
  family("srtp_out_total", counter, "SRTP/SRTCP packets protected and sent.", &Totals::srtp_out);
  family("unprotect_failures_total", counter,
         "SRTP/SRTCP packets that failed authentication or replay checks.",
         &Totals::unprotect_failures);
  family("forwarded_total", counter, "RTP packets forwarded to subscribers.", &Totals::forwarded);
  family("ingress_dropped_total", counter,
         "RTP packets dropped on arrival (malformed, unknown SSRC, not a publisher).",
         &Totals::ingress_dropped);
  family("rtx_total", counter, "Retransmissions sent for NACKs.", &Totals::rtx);
  family("keyframe_requests_total", counter, "PLI/FIR sent to publishers.",
         &Totals::keyframe_requests);
  family("padding_total", counter, "Padding-only probe packets sent.", &Totals::padding);
  family("layer_changes_total", counter, "Simulcast layer changes by the bandwidth allocator.",
         &Totals::layer_changes);
  family("sender_reports_total", counter, "RTCP sender reports sent to subscribers (one per stream).",
         &Totals::sender_reports);
  family("receiver_reports_total", counter, "RTCP receiver reports sent to publishers.",
         &Totals::receiver_reports);
  family("paced_total", counter, "RTP packets that waited in a subscriber connection's pacer.",
         &Totals::paced);
  family("pacer_drops_total", counter, "RTP packets a full pacer queue (1 024 packets) dropped.",
         &Totals::pacer_drops);
  std::vector<net::HistogramSample> latency;
  for (std::size_t i = 0; i < all.size(); ++i)
    latency.push_back({{{"worker", std::to_string(i)}}, all[i].forwarding_latency});
  net::add_histogram(out, "peerkit_sfu_forwarding_latency_seconds",
                     "From reading a datagram to sending what the worker made of it (per datagram).",
                     latency);
}

}  // namespace peerkit::server
