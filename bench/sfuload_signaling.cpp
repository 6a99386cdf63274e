// The two servers' signaling for sfuload: blocking Boost.Beast clients (a bench, not a service).
// Reads block (Asio's synchronous reads wait in poll() and ignore SO_RCVTIMEO): a server that
// never answers hangs the run; the Janus event waits have their own 15 s deadline.
#include "sfuload_signaling.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

namespace peerkit::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using tcp = asio::ip::tcp;

[[noreturn]] void fail(const std::string& why) {
  std::fprintf(stderr, "sfuload: %s\n", why.c_str());
  std::exit(1);
}

std::string text_of(const json::value& v) { return std::string(v.as_string()); }

// ---- peerkit serve: the rooms protocol, SFU mode ----

class PeerkitSignaling final : public SfuSignaling {
 public:
  PeerkitSignaling(std::string host, std::uint16_t port) : endpoint_(asio::ip::make_address(host), port) {}
  ~PeerkitSignaling() override {
    for (auto& m : members_) {
      beast::error_code ec;
      beast::get_lowest_layer(*m.ws).shutdown(tcp::socket::shutdown_both, ec);
    }
    for (auto& t : drains_) t.join();
  }

  void add_subscriber(int index) override {
    auto& m = join("sub" + std::to_string(index));
    if (subscribers_.size() <= static_cast<std::size_t>(index)) subscribers_.resize(index + 1);
    subscribers_[static_cast<std::size_t>(index)] = &m;
  }

  std::string publish(int, const std::string& offer_sdp) override {
    auto& m = join("pub");
    send(m, {{"type", "sfu-publish"}, {"sdp", offer_sdp}, {"height", 720}});
    return text_of(next_of(m, "sfu-publish-answer").at("sdp"));
  }

  std::string subscribe_offer(int index) override {
    auto& m = *subscribers_.at(static_cast<std::size_t>(index));
    const auto offer = next_of(m, "sfu-subscribe-offer");
    m.connection = offer.at("connection");
    return text_of(offer.at("sdp"));
  }

  void answer(int index, const std::string& answer_sdp) override {
    auto& m = *subscribers_.at(static_cast<std::size_t>(index));
    send(m, {{"type", "sfu-subscribe-answer"}, {"connection", m.connection}, {"sdp", answer_sdp}});
  }

  void keep_alive() override {
    for (auto& m : members_)
      drains_.emplace_back([ws = m.ws.get()] {
        beast::flat_buffer b;
        beast::error_code ec;
        while (!ec) {
          ws->read(b, ec);
          b.clear();
        }
      });
  }

 private:
  struct Member {
    std::unique_ptr<websocket::stream<tcp::socket>> ws;
    json::value connection;
    std::deque<json::object> held;
  };

  Member& join(const std::string& name) {
    Member m;
    m.ws = std::make_unique<websocket::stream<tcp::socket>>(io_);
    beast::error_code ec;
    beast::get_lowest_layer(*m.ws).connect(endpoint_, ec);
    if (ec) fail("peerkit: connect: " + ec.message());
    m.ws->handshake(endpoint_.address().to_string() + ':' + std::to_string(endpoint_.port()), "/ws", ec);
    if (ec) fail("peerkit: WebSocket handshake: " + ec.message());
    m.ws->read_message_max(8 << 20);
    members_.push_back(std::move(m));
    auto& member = members_.back();
    next_of(member, "welcome");
    send(member, {{"type", "join"}, {"room", "sfubench"}, {"name", name}, {"mode", "sfu"}});
    next_of(member, "joined");
    return member;
  }

  void send(Member& m, const json::object& o) {
    beast::error_code ec;
    m.ws->text(true);
    m.ws->write(asio::buffer(json::serialize(o)), ec);
    if (ec) fail("peerkit: send: " + ec.message());
  }

  // The next message of `type`; others are kept, in order, for a later call (the server may
  // send the subscribe offer before `joined`).
  json::object next_of(Member& m, std::string_view type) {
    for (auto it = m.held.begin(); it != m.held.end(); ++it)
      if (it->at("type").as_string() == type) {
        auto o = std::move(*it);
        m.held.erase(it);
        return o;
      }
    for (;;) {
      beast::flat_buffer b;
      beast::error_code ec;
      m.ws->read(b, ec);
      if (ec) fail("peerkit: waiting for " + std::string(type) + ": " + ec.message());
      const auto text = beast::buffers_to_string(b.data());
      if (std::getenv("SFULOAD_TRACE")) std::fprintf(stderr, "peerkit ← %.200s\n", text.c_str());
      auto v = json::parse(text);
      auto& o = v.as_object();
      const auto t = o.at("type").as_string();
      if (t == type) return o;
      if (t == "error" || t == "room-full" || t == "sfu-refused") fail("peerkit: " + json::serialize(o));
      if (m.held.size() < 64) m.held.push_back(std::move(o));
    }
  }

  asio::io_context io_;
  tcp::endpoint endpoint_;
  std::deque<Member> members_;  // deque: references stay valid as members join
  std::vector<Member*> subscribers_;
  std::vector<std::thread> drains_;
};

// ---- Janus VideoRoom over its HTTP API ----

class JanusSignaling final : public SfuSignaling {
 public:
  static constexpr std::int64_t kRoom = 4242;

  JanusSignaling(std::string host, std::uint16_t port) : endpoint_(asio::ip::make_address(host), port) {
    session_ = request("/janus", {{"janus", "create"}}).at("data").at("id").to_number<std::int64_t>();
    poller_ = std::thread([this] { poll(); });
    const auto admin = attach();
    // A room without a bitrate cap or periodic FIR: the same job as peerkit's SFU has.
    request(handle_path(admin),
            {{"janus", "message"},
             {"body", {{"request", "create"}, {"room", kRoom}, {"publishers", 16}, {"bitrate", 0},
                       {"fir_freq", 0}, {"videocodec", "vp8"}, {"audiocodec", "opus"}}}});
  }
  ~JanusSignaling() override {
    {
      std::lock_guard l(m_);
      stopping_ = true;
    }
    cv_.notify_all();
    if (keepalive_.joinable()) keepalive_.join();
    poller_.detach();  // in a long poll of up to 30 s: sfuload ends with _Exit before it returns
  }

  void add_subscriber(int index) override {
    if (subscriber_handles_.size() <= static_cast<std::size_t>(index)) subscriber_handles_.resize(index + 1);
    subscriber_handles_[static_cast<std::size_t>(index)] = attach();
  }

  std::string publish(int, const std::string& offer_sdp) override {
    const auto h = attach();
    publisher_handles_.push_back(h);
    message(h, {{"request", "join"}, {"ptype", "publisher"}, {"room", kRoom}, {"display", "pub" + std::to_string(publisher_handles_.size())}});
    const auto joined = event(h, "joined");
    feeds_.push_back(joined.at("plugindata").at("data").at("id").to_number<std::int64_t>());
    // Our rids go lowest first (q, h, f), as peerkit and RFC 8853's examples have them; Janus
    // takes the first as the highest unless told (its jsep's rid_order, default "hml").
    message(h, {{"request", "publish"}}, json::object{{"type", "offer"}, {"sdp", offer_sdp}, {"rid_order", "lmh"}});
    const auto answered = event(h, "", true);
    return text_of(answered.at("jsep").at("sdp"));
  }

  std::string subscribe_offer(int index) override {
    const auto h = subscriber_handles_.at(static_cast<std::size_t>(index));
    json::array streams;  // one offer of every publisher's track (Janus 1.x multistream)
    for (const auto f : feeds_) streams.push_back(json::object{{"feed", f}});
    message(h, {{"request", "join"}, {"ptype", "subscriber"}, {"room", kRoom}, {"streams", std::move(streams)}});
    return text_of(event(h, "attached", true).at("jsep").at("sdp"));
  }

  void answer(int index, const std::string& answer_sdp) override {
    const auto h = subscriber_handles_.at(static_cast<std::size_t>(index));
    message(h, {{"request", "start"}}, json::object{{"type", "answer"}, {"sdp", answer_sdp}});
    event(h, "event");  // {"videoroom":"event","started":"ok"}
  }

  void keep_alive() override {
    keepalive_ = std::thread([this] {
      std::unique_lock l(m_);
      while (!cv_.wait_for(l, std::chrono::seconds(15), [this] { return stopping_; })) {
        l.unlock();
        request(session_path(), {{"janus", "keepalive"}});
        l.lock();
      }
    });
  }

 private:
  std::string session_path() const { return "/janus/" + std::to_string(session_); }
  std::string handle_path(std::int64_t h) const { return session_path() + '/' + std::to_string(h); }

  std::int64_t attach() {
    return request(session_path(), {{"janus", "attach"}, {"plugin", "janus.plugin.videoroom"}})
        .at("data").at("id").to_number<std::int64_t>();
  }

  void message(std::int64_t handle, json::object body, std::optional<json::object> jsep = std::nullopt) {
    json::object m{{"janus", "message"}, {"body", std::move(body)}};
    if (jsep) m["jsep"] = std::move(*jsep);
    request(handle_path(handle), std::move(m));
  }

  // The next event from `handle` whose videoroom field is `what` (any when empty), with a jsep
  // when asked for one.
  json::object event(std::int64_t handle, const std::string& what, bool with_jsep = false) {
    std::unique_lock l(m_);
    auto& q = events_[handle];
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    for (;;) {
      while (!q.empty()) {
        auto e = std::move(q.front());
        q.pop_front();
        const auto* data = e.contains("plugindata") ? e.at("plugindata").as_object().if_contains("data") : nullptr;
        if (data && data->as_object().contains("error")) fail("janus: " + json::serialize(e));
        const auto* room = data ? data->as_object().if_contains("videoroom") : nullptr;
        const bool matches = what.empty() || (room && room->is_string() && room->as_string() == what);
        if (matches && (!with_jsep || e.contains("jsep"))) return e;
      }
      if (cv_.wait_until(l, deadline) == std::cv_status::timeout && q.empty())
        fail("janus: no \"" + what + "\" event from handle " + std::to_string(handle));
    }
  }

  void poll() {
    for (;;) {
      {
        std::lock_guard l(m_);
        if (stopping_) return;
      }
      auto e = get(session_path() + "?maxev=1");
      if (!e.contains("sender")) continue;  // a keepalive
      std::lock_guard l(m_);
      events_[e.at("sender").to_number<std::int64_t>()].push_back(std::move(e));
      cv_.notify_all();
    }
  }

  json::object exchange(http::request<http::string_body> req) {
    asio::io_context io;
    tcp::socket s(io);
    beast::error_code ec;
    s.connect(endpoint_, ec);
    if (ec) fail("janus: connect: " + ec.message());
    req.set(http::field::host, endpoint_.address().to_string());
    req.prepare_payload();
    http::write(s, req, ec);
    beast::flat_buffer b;
    http::response<http::string_body> res;
    if (!ec) http::read(s, b, res, ec);
    if (ec) fail("janus: " + std::string(req.target()) + ": " + ec.message());
    auto v = json::parse(res.body(), ec);
    if (ec || !v.is_object()) fail("janus: not JSON: " + res.body());
    return v.as_object();
  }

  json::object request(const std::string& path, json::object body) {
    body["transaction"] = "t" + std::to_string(++transaction_);
    http::request<http::string_body> req{http::verb::post, path, 11};
    req.set(http::field::content_type, "application/json");
    req.body() = json::serialize(body);
    auto r = exchange(std::move(req));
    const auto kind = r.at("janus").as_string();
    if (kind == "error") fail("janus: " + json::serialize(r));
    return r;
  }

  json::object get(const std::string& path) {
    return exchange(http::request<http::string_body>{http::verb::get, path, 11});
  }

  tcp::endpoint endpoint_;
  std::int64_t session_ = 0;
  std::vector<std::int64_t> publisher_handles_, feeds_;
  std::vector<std::int64_t> subscriber_handles_;
  std::atomic<std::uint64_t> transaction_{0};
  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::int64_t, std::deque<json::object>> events_;
  bool stopping_ = false;
  std::thread poller_, keepalive_;
};

}  // namespace

std::unique_ptr<SfuSignaling> peerkit_signaling(const std::string& host, std::uint16_t port) {
  return std::make_unique<PeerkitSignaling>(host, port);
}
std::unique_ptr<SfuSignaling> janus_signaling(const std::string& host, std::uint16_t port) {
  return std::make_unique<JanusSignaling>(host, port);
}

}  // namespace peerkit::bench
