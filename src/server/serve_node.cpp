#include "server/serve_node.h"

#include <malloc.h>
#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <future>

#include "net/asio_address.h"
#include "net/metrics.h"
#include "net/socket_setup.h"
#include "server/http_session.h"
#include "server/ws_session.h"

namespace peerkit::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

// PeerServer checks liveness every 300 ms; queue expiry shares the check.
constexpr Duration kPeerJsCheck = Duration::millis(300);

// Once this many offline-queue bytes have been freed since the last time, the tick hands free
// heap pages back to the system (glibc keeps them otherwise, and a flood's worth of RSS stays).
constexpr std::uint64_t kTrimAfterReleasedBytes = 1 << 20;

signaling::PeerJsOptions peerjs_options(const ServeConfig& config) {
  auto options = config.peerjs;
  options.ipv6_limit_prefix = static_cast<std::uint8_t>(std::min(config.ipv6_limit_prefix, 128u));
  return options;
}

}  // namespace

ServeNode::ServeNode(ServeConfig config)
    : config_(std::move(config)),
      timer_(loop_, [this](Timestamp now) { on_timeout(now); }),
      peerjs_(peerjs_options(config_), *this),
      rooms_(config_.rooms, *this),
      connections_(std::make_shared<ConnectionBook>(
          config_.max_connections_per_ip,
          static_cast<std::uint8_t>(std::min(config_.ipv6_limit_prefix, 128u)))) {
  round_.bind(loop_.executor());
  limits_.max_frame_bytes = config_.max_frame_bytes;
  limits_.write_queue_bytes = config_.write_queue_bytes;
  limits_.write_queue_messages = config_.write_queue_messages;
  limits_.handshake_timeout = std::chrono::seconds(config_.handshake_timeout_seconds);
  limits_.idle_timeout = std::chrono::seconds(config_.idle_timeout_seconds);
  router_ = std::make_unique<HttpRouter>(
      config_, peerjs_, random_, [this] { return metrics_text(); },
      [] { return unix_seconds_now(); });
}

ServeNode::~ServeNode() {
  stop();
}

std::string ServeNode::reload_tls() {
  if (!tls_) return {};
  // Connections already up keep the context they started with; a bad file keeps the old one.
  return tls_->reload();
}

Expected<std::size_t, std::string> ServeNode::reload_secrets() {
  using Error = Unexpected<std::string>;
  if (config_.ice_secret_file.empty()) return Error("no --ice-secret-file to re-read");
  auto secrets = read_secret_file(config_.ice_secret_file);
  if (!secrets) return Error(secrets.error());
  const std::size_t count = secrets->size();
  // Workers first: by the time the first credential signed with a new secret leaves this node,
  // its own TURN server accepts it (other nodes take it on their own SIGHUP; docs/signaling.md).
  if (turn_) turn_->set_secrets(*secrets);
  auto applied = std::make_shared<std::promise<void>>();
  auto done = applied->get_future();
  loop_.post([this, applied, signing = secrets->front()]() mutable {
    config_.ice.turn_secret = std::move(signing);
    applied->set_value();
  });
  if (done.wait_for(std::chrono::seconds(5)) != std::future_status::ready)
    return Error("the serve loop did not take the new secrets within 5 s");
  return count;
}

std::string ServeNode::start() {
  if (!config_.cert_file.empty()) {
    tls_ = std::make_unique<net::ReloadableServerContext>(
        net::TlsServerFiles{config_.cert_file, config_.key_file});
    if (auto e = tls_->reload(); !e.empty()) return e;
  }
  if (config_.max_connections == 0) {
    std::size_t turn_share = 0;
    if (config_.turn)
      turn_share =
          config_.turn_config.total_quota +
          config_.turn_config.max_tcp_connections * std::max(1u, config_.turn_config.workers) + 64;
    const std::size_t limit = net::open_file_limit();
    config_.max_connections = limit > turn_share + 256 ? limit - turn_share - 256 : 64;
  }
  boost::system::error_code ec;
  const auto endpoint = net::to_endpoint<tcp::endpoint>(SocketAddress(config_.host, config_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + SocketAddress(config_.host, config_.port).to_string() + ": " +
           ec.message();
  port_ = acceptor_.local_endpoint().port();
  if (config_.turn) {
    turn_ = std::make_unique<turn::TurnService>(config_.turn_config);
    if (auto e = turn_->start(); !e.empty()) {
      turn_.reset();
      return "embedded TURN: " + e + " (use --no-turn or --turn-port)";
    }
  }
  if (config_.sfu.enabled && !config_.cluster.enabled) {
    sfu_ = std::make_unique<ServeSfu>(config_.sfu, loop_, rooms_);
    if (auto e = sfu_->start(); !e.empty()) {
      sfu_.reset();
      if (turn_) turn_->stop();
      return e;
    }
    rooms_.set_sfu_hook(sfu_.get());
  }
  std::future<void> verdict;  // Redis' first answer to the cluster (below)
  if (config_.cluster.enabled) {
    const std::string own = std::string(tls_ ? "https://" : "http://") +
                            config_.host.to_uri_host() + ":" + std::to_string(port_);
    cluster_ = std::make_unique<ServeCluster>(config_.cluster, own, loop_, peerjs_, rooms_, *this);
    if (auto e = cluster_->check(); !e.empty()) {
      cluster_.reset();
      if (turn_) turn_->stop();
      return "--cluster: " + e;
    }
    router_->set_cluster([this] { return cluster_->peer_ids(); },
                         [this] { return cluster_->health_text(); });
    auto verdict_promise = std::make_shared<std::promise<void>>();
    verdict = verdict_promise->get_future();
    cluster_->on_first_verdict([verdict_promise] { verdict_promise->set_value(); });
    loop_.post([this] { cluster_->start(loop_.now()); });
  }
  accept();
  last_idle_tick_ = loop_.now();
  timer_.rearm(loop_.now() + kPeerJsCheck);
  loop_.start();
  if (cluster_) {
    // Wait for Redis' first answer, so a refused password ends the start with a clear error
    // instead of a node that serves alone; an unreachable Redis is retried in the background.
    verdict.wait_for(std::chrono::seconds(5));
    std::promise<std::string> answer;
    auto error = answer.get_future();
    loop_.post([&] { answer.set_value(cluster_->fatal_error()); });
    if (std::string fatal = error.get(); !fatal.empty()) {
      stop();
      return fatal;
    }
  }
  return {};
}

void ServeNode::stop() {
  if (!loop_.running()) return;
  std::promise<void> drained;
  loop_.post([this, &drained] {
    stopping_ = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    timer_.cancel();
    accept_retry_.cancel();
    auto sessions = sessions_;
    for (auto& [id, session] : sessions) session->close(1001, "server shutting down");
    auto deadline = std::make_shared<asio::steady_timer>(loop_.context());
    deadline->expires_after(std::chrono::seconds(config_.shutdown_grace_seconds));
    auto poll = std::make_shared<std::function<void()>>();
    *poll = [this, deadline, poll, &drained, start = std::chrono::steady_clock::now()] {
      if (sessions_.empty() || std::chrono::steady_clock::now() - start >=
                                   std::chrono::seconds(config_.shutdown_grace_seconds)) {
        drained.set_value();
        *poll = nullptr;  // break the self-reference
        return;
      }
      deadline->expires_after(std::chrono::milliseconds(20));
      deadline->async_wait([poll](boost::system::error_code) {
        if (*poll) (*poll)();
      });
    };
    (*poll)();
  });
  drained.get_future().wait();
  loop_.stop();
  if (sfu_) sfu_->stop();
  sessions_.clear();
  if (turn_) turn_->stop();
  turn_.reset();
}

void ServeNode::accept() {
  acceptor_.async_accept([this](boost::system::error_code ec, tcp::socket socket) {
    if (stopping_) return;
    if (ec) {
      if (ec == asio::error::operation_aborted) return;
      // EMFILE/ENFILE/ENOBUFS: back off instead of spinning on a full descriptor table.
      spdlog::warn("accept failed: {}; retrying in 100 ms", ec.message());
      accept_retry_.expires_after(std::chrono::milliseconds(100));
      accept_retry_.async_wait([this](boost::system::error_code e) {
        if (!e) accept();
      });
      return;
    }
    boost::system::error_code ep_ec;
    const auto remote = socket.remote_endpoint(ep_ec);
    if (ep_ec) {
      accept();
      return;
    }
    const IpAddress address = net::from_asio(remote.address());
    if (connections_->open >= config_.max_connections ||
        !connections_->per_address.acquire(address)) {
      ++stats_.connections_refused;
      spdlog::debug("connection refused: limit reached peer={} open={}", address.to_string(),
                    connections_->open);
      if (config_.cert_file.empty()) {
        auto s = std::make_shared<tcp::socket>(std::move(socket));
        const std::string& refused = connection_refused_response();
        asio::async_write(*s, asio::buffer(refused.data(), refused.size()),
                          [s](boost::system::error_code, std::size_t) {});
      }
      accept();
      return;
    }
    ++connections_->open;
    ++stats_.connections_accepted;
    socket.set_option(tcp::no_delay(true), ep_ec);
    ConnectionSlot slot(connections_, address);
    if (tls_) {
      // The session keeps the context alive while it lives, even across a reload.
      auto context = tls_->current();
      std::make_shared<HttpSession<TlsStream>>(
          *this, TlsStream(beast::tcp_stream(std::move(socket)), *context), std::move(slot))
          ->start();
    } else {
      std::make_shared<HttpSession<PlainStream>>(*this, PlainStream(std::move(socket)),
                                                 std::move(slot))
          ->start();
    }
    accept();
  });
}

void ServeNode::on_timeout(Timestamp now) {
  if (cluster_)
    cluster_->on_timer(now);  // the PeerJS core's timer too
  else
    peerjs_.on_timer(now);
  // Expired (or delivered) offline queues: give the freed pages back, at most once per tick.
  if (peerjs_.released_bytes() - trimmed_at_released_ >= kTrimAfterReleasedBytes) {
    trimmed_at_released_ = peerjs_.released_bytes();
    malloc_trim(0);
  }
  // One tick for every WebSocket's pings and idle timeout, every idle_timeout / 2.
  const auto idle = config_.idle_timeout_seconds;
  if (idle != 0 && now - last_idle_tick_ >= Duration::millis(std::int64_t{idle} * 500)) {
    last_idle_tick_ = now;
    ticking_.clear();
    for (const auto& [id, session] : sessions_) ticking_.push_back(session);
    for (const auto& session : ticking_) session->idle_tick();  // may close and erase
    ticking_.clear();
  }
  if (!stopping_) timer_.rearm(now + kPeerJsCheck);
}

template <class Stream>
void ServeNode::start_ws(Stream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request) {
  auto session = std::make_shared<WsSession<Stream>>(*this, std::move(stream), std::move(slot),
                                                     next_session_, std::move(upgrade));
  next_session_ = next_session_.next();
  session->start(std::move(request));
}

void ServeNode::upgrade(PlainStream&& stream, ConnectionSlot slot, Upgrade upgrade,
                        Request request) {
  tcp::socket socket = stream.release_socket();
  boost::system::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;  // the peer is already gone
  PlainSocket bare(loop_.executor(), protocol, socket.release());
  start_ws(std::move(bare), std::move(slot), std::move(upgrade), std::move(request));
}
void ServeNode::upgrade(TlsStream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request) {
  start_ws(std::move(stream), std::move(slot), std::move(upgrade), std::move(request));
}

void ServeNode::on_ws_open(signaling::SessionId id, const Upgrade& upgrade, std::string_view host,
                           const IpAddress& address, std::shared_ptr<WsSessionBase> session) {
  sessions_.emplace(id, std::move(session));
  if (upgrade.kind == SocketKind::kPeerJs) {
    auto request = upgrade.peerjs;
    request.address = address;
    if (cluster_)
      cluster_->on_peerjs_open(id, request, loop_.now());  // claims the id cluster-wide first
    else
      peerjs_.on_open(id, request, loop_.now());
  } else {
    std::string member = random_member_id(random_);
    rooms_.on_open(id, member, router_->ice_servers(host, member), loop_.now());
  }
}

void ServeNode::on_ws_message(signaling::SessionId id, SocketKind kind, std::string_view text) {
  ++stats_.frames_in;
  if (kind == SocketKind::kPeerJs)
    peerjs_.on_message(id, text, loop_.now());
  else
    rooms_.on_message(id, text, loop_.now());
}

void ServeNode::on_ws_closed(signaling::SessionId id, SocketKind kind) {
  sessions_.erase(id);
  if (kind == SocketKind::kPeerJs) {
    if (cluster_)
      cluster_->on_peerjs_close(id);
    else
      peerjs_.on_close(id);
  } else
    rooms_.on_close(id);
}

bool ServeNode::send(signaling::SessionId session, std::string_view text) {
  auto it = sessions_.find(session);
  return it != sessions_.end() && it->second->send(text);
}

void ServeNode::close(signaling::SessionId session, std::uint16_t code, std::string_view reason) {
  if (auto it = sessions_.find(session); it != sessions_.end()) it->second->close(code, reason);
}

std::string ServeNode::metrics_text() const {
  using prometheus::MetricType;
  net::MetricFamilies out;
  // `label` is one `name=value` pair, or empty.
  auto metric = [&out](std::string_view name, MetricType type, std::string_view help,
                       std::initializer_list<std::pair<std::string_view, std::uint64_t>> values) {
    std::vector<net::Sample> samples;
    for (const auto& [label, value] : values) {
      net::Sample sample{{}, static_cast<double>(value)};
      if (const auto eq = label.find('='); eq != std::string_view::npos)
        sample.labels.emplace_back(label.substr(0, eq), label.substr(eq + 1));
      samples.push_back(std::move(sample));
    }
    net::add_family(out, "peerkit_signaling_" + std::string(name), std::string(help), type,
                    samples);
  };
  const auto gauge = MetricType::Gauge;
  const auto counter = MetricType::Counter;
  const auto& p = peerjs_.stats();
  const auto& r = rooms_.stats();
  metric("connections", gauge, "Open WebSocket connections by protocol.",
         {{"protocol=peerjs", peerjs_.sessions()}, {"protocol=rooms", rooms_.connections()}});
  metric("tcp_connections", gauge, "Open TCP connections (HTTP and WebSocket).",
         {{"", connections_->open}});
  metric("peerjs_registered", gauge, "Registered PeerJS ids.", {{"", peerjs_.registered()}});
  metric("rooms", gauge, "Rooms with at least one member.", {{"", rooms_.rooms()}});
  metric("room_members", gauge, "Connections that are in a room.", {{"", rooms_.members()}});
  metric("offline_messages", gauge, "PeerJS messages waiting for an id to connect.",
         {{"", peerjs_.offline_messages()}});
  metric("offline_bytes", gauge,
         "Bytes the PeerJS offline queues hold, as their byte budgets count them.",
         {{"", peerjs_.queued_bytes()}});
  metric("messages_relayed_total", counter, "Messages relayed, by type.",
         {{"type=offer", p.relayed_offer},
          {"type=answer", p.relayed_answer},
          {"type=candidate", p.relayed_candidate},
          {"type=leave", p.relayed_leave},
          {"type=expire", p.relayed_expire},
          {"type=signal", r.signals_relayed}});
  metric("queue_drops_total", counter, "Messages dropped because a bounded queue was full.",
         {{"queue=offline", p.queue_drops}, {"queue=write", stats_.write_queue_overflows}});
  metric("rate_limited_total", counter, "Messages dropped by the per-connection rate limit.",
         {{"protocol=peerjs", p.rate_limited}, {"protocol=rooms", r.rate_limited}});
  metric("malformed_total", counter, "PeerJS frames that were not valid messages.",
         {{"", p.malformed}});
  metric("rooms_errors_total", counter, "Error messages sent on the rooms protocol.",
         {{"", r.errors_sent}});
  metric("peerjs_rejected_total", counter, "PeerJS sockets refused (ERROR or ID-TAKEN).",
         {{"", p.rejected}});
  metric("peerjs_expired_total", counter, "EXPIRE messages generated for offline queues.",
         {{"", p.expired}});
  metric("peerjs_reaped_total", counter, "PeerJS clients closed by the alive timeout.",
         {{"", p.reaped}});
  metric("room_joins_total", counter, "Room joins.", {{"", r.joins}});
  metric("http_requests_total", counter, "HTTP requests (including WebSocket upgrades).",
         {{"", stats_.http_requests}});
  metric("connections_refused_total", counter, "TCP connections refused by a connection limit.",
         {{"", stats_.connections_refused}});
  metric("frames_total", counter, "WebSocket frames by direction.",
         {{"direction=in", stats_.frames_in}, {"direction=out", stats_.frames_out}});
  metric("socket_writes_total", counter,
         "Socket writes carrying outgoing WebSocket frames (several frames coalesce into one).",
         {{"", round_.writes()}});
  if (turn_) turn_->collect_metrics(out);
  if (cluster_) cluster_->collect_metrics(out);
  if (sfu_) sfu_->collect_metrics(out);
  return net::render_metrics(out);
}

}  // namespace peerkit::server
