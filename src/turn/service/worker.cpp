#include "turn/service/worker.h"

#include <algorithm>

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <boost/asio/post.hpp>
#include <future>

#include "net/asio_address.h"
#include "net/socket_setup.h"
#include "turn/service/event_log.h"
#include "turn/stream_framing.h"

namespace peerkit::turn {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {
constexpr int kMaxRoundsPerWakeup = 16;  // batches per readiness event, for fairness
constexpr int kLogLinesPerSecond = 100;  // per worker, so an attack cannot flood the log
constexpr Duration kTlsHandshakeTimeout = Duration::seconds(10);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
// Connection deadlines and reservation expiry are checked at least this often.
constexpr Duration kHousekeeping = Duration::seconds(1);
// How stale /metrics may be while traffic flows.
constexpr Duration kPublishEvery = Duration::millis(100);
// The read buffer may hold two of the largest frames (a STUN message or ChannelData, §12.5).
constexpr std::size_t kMaxStreamBuffer = 2 * (20 + 65535 + 4);

udp::socket adopt_udp(asio::io_context& io, int fd, const SocketAddress& at) {
  return udp::socket(io, at.ip().is_v4() ? udp::v4() : udp::v6(), fd);
}

std::size_t or_unlimited(std::size_t n) {
  return n ? n : SIZE_MAX;
}
}  // namespace

WorkerShared::WorkerShared(const TurnServiceConfig& c, SharedQuotas& q)
    : config(c),
      quotas(q),
      descriptors(or_unlimited(c.relay_descriptors),
                  c.max_tcp_connections ? c.max_tcp_connections * std::max(1u, c.workers)
                                        : SIZE_MAX),
      ports(c.min_port, c.max_port),
      per_address(c.max_tcp_connections_per_ip, c.ipv6_limit_prefix),
      // Reservations (EVEN-PORT with R) hold a relay socket each that no quota counts: at
      // most an eighth of the relay descriptor share, and never more than 4 096.
      reservations(Duration::seconds(30),
                   std::clamp<std::size_t>(or_unlimited(c.relay_descriptors) / 8, 16, 4096),
                   [this](int fd, const SocketAddress& at) {
        ::close(fd);
        ports.release(at);
        descriptors.relays.give();
      }) {}

Worker::Worker(unsigned index, WorkerShared& shared)
    : index_(index),
      shared_(shared),
      config_(shared.config),
      loop_("turn-worker-" + std::to_string(index)),
      timer_(loop_, [this](Timestamp t) { on_timeout(t); }) {
  ServerOptions options = config_.server;
  options.unix_time_offset = shared.unix_time_offset;
  options.ipv6_limit_prefix = config_.ipv6_limit_prefix;
  PolicyOptions policy = config_.policy;
  policy.own_addresses.insert(policy.own_addresses.end(), shared.own_addresses.begin(),
                              shared.own_addresses.end());
  server_ = std::make_unique<Server>(
      options,
      CredentialStore(config_.realm, config_.users, config_.secrets, config_.rest_separator),
      PeerPolicy(std::move(policy)), static_cast<RelayAllocator&>(*this), shared.quotas,
      NonceIssuer(shared.nonce_secret, options.nonce_lifetime, options.advertise_security_features),
      random_, SharedState{shared.unauth, shared.relay_addresses});
}

void Worker::set_secrets(std::vector<std::string> secrets) {
  loop_.post([this, secrets = std::move(secrets)]() mutable {
    server_->set_secrets(std::move(secrets));
  });
}

Worker::~Worker() {
  stop();
  server_.reset();  // releases relays through this allocator while it still exists
}

std::string Worker::open() {
  std::vector<SocketAddress> udp_addresses;
  for (const auto& ip : config_.listening_ips) {
    udp_addresses.emplace_back(ip, config_.listening_port);
    if (config_.server.rfc5780_other_address) {
      const std::uint16_t alt =
          config_.alt_listening_port ? config_.alt_listening_port : config_.listening_port + 1;
      udp_addresses.emplace_back(ip, alt);
    }
  }
  if (config_.udp) {
    for (const auto& at : udp_addresses) {
      auto fd =
          net::open_udp(at, {.reuse_port = true, .buffer_bytes = config_.listener_buffer_bytes});
      if (!fd) return fd.error();
      listeners_.push_back(
          {std::make_unique<udp::socket>(adopt_udp(loop_.context(), *fd, at)), at});
    }
  }
  auto add_acceptor = [&](const SocketAddress& at, Transport t) -> std::string {
    auto fd = net::open_tcp_listener(at, true, 1024);
    if (!fd) return fd.error();
    auto acc = std::make_unique<tcp::acceptor>(loop_.context(),
                                               at.ip().is_v4() ? tcp::v4() : tcp::v6(), *fd);
    acceptors_.push_back({std::move(acc), at, t});
    return {};
  };
  for (const auto& ip : config_.listening_ips) {
    if (config_.tcp) {
      if (auto e = add_acceptor({ip, config_.listening_port}, Transport::kTcp); !e.empty())
        return e;
    }
    if (config_.tls && shared_.tls) {
      if (auto e = add_acceptor({ip, config_.tls_listening_port}, Transport::kTls); !e.empty())
        return e;
    }
  }
  return {};
}

void Worker::start() {
  for (std::size_t i = 0; i < listeners_.size(); ++i) arm_listener(i);
  for (std::size_t i = 0; i < acceptors_.size(); ++i) accept_next(i);
  timer_.rearm(now());
  loop_.start();
}

void Worker::stop() {
  if (!loop_.running()) return;
  std::promise<void> closed;
  loop_.post([this, &closed] {
    for (auto& [id, c] : connections_) c.stream->close();
    for (auto& a : acceptors_) a.acceptor->close();
    for (auto& l : listeners_) l.socket->close();
    timer_.cancel();
    flush();
    log_events(now());  // nothing that happened before a clean stop goes missing from the log
    closed.set_value();
  });
  closed.get_future().wait();
  loop_.stop();
}

// ---- UDP listeners --------------------------------------------------------------------------

void Worker::arm_listener(std::size_t index) {
  listeners_[index].socket->async_wait(udp::socket::wait_read, [this, index](auto ec) {
    if (!ec) on_listener_readable(index);
  });
}

void Worker::on_listener_readable(std::size_t index) {
  Listener& l = listeners_[index];
  const int fd = l.socket->native_handle();
  for (int round = 0; round < kMaxRoundsPerWakeup; ++round) {
    // Transmits may point into the receive slots: send them before the slots run out.
    if (receiver_.free_slots() < static_cast<int>(net::UdpBatchReceiver::kBatch) / 2) flush();
    int first = 0;
    const int n = receiver_.receive(fd, first);
    if (n == 0) break;
    const Timestamp t = now();
    for (int i = first; i < first + n; ++i) {
      if (receiver_.truncated(i)) continue;
      const ClientRoute route{Transport::kUdp, 0, l.local, receiver_.from(i)};
      server_->handle_client_packet(t, route, receiver_.data(i), queue_);
    }
    if (receiver_.free_slots() > 0) break;  // the socket is drained
  }
  flush_soon();
  arm_listener(index);
}

void Worker::flush_soon() {
  if (flush_posted_) return;
  flush_posted_ = true;
  loop_.post([this] { flush(); });
}

// ---- relay sockets (RelayAllocator) ---------------------------------------------------------

bool Worker::supports(AddressFamily family) const {
  for (const auto& ip : config_.relay_ips)
    if (ip.family() == family) return true;
  return false;
}

RelayPorts::Bind Worker::open_relay(const SocketAddress& at, bool dont_fragment, int& fd) {
  ++relay_bind_attempts_;
  auto r = net::open_udp(
      at, {.buffer_bytes = config_.relay_buffer_bytes, .dont_fragment = dont_fragment});
  if (r) {
    fd = *r;
    return RelayPorts::Bind::kBound;
  }
  // "bind ..." is the port (taken, or the address gone); "socket ..." is no descriptor or memory.
  return r.error().starts_with("bind") ? RelayPorts::Bind::kInUse : RelayPorts::Bind::kError;
}

RelayHandle Worker::adopt_relay(int fd, const SocketAddress& at) {
  next_relay_ = next_relay_.next();
  const RelayHandle handle = next_relay_;
  relays_[handle] = {std::make_unique<udp::socket>(adopt_udp(loop_.context(), fd, at)), at};
  arm_relay(handle);
  return handle;
}

std::optional<RelayGrant> Worker::claim_reservation(std::uint64_t token) {
  auto held = shared_.reservations.take(token, now());
  if (!held) return std::nullopt;
  return RelayGrant{adopt_relay(held->fd, held->address), held->address};
}

std::optional<RelayGrant> Worker::allocate(const RelayRequest& request) {
  std::vector<IpAddress> candidates;
  for (const auto& ip : config_.relay_ips)
    if (ip.family() == request.family) candidates.push_back(ip);
  if (candidates.empty()) return std::nullopt;
  const IpAddress ip = candidates[relay_rr_++ % candidates.size()];
  // Descriptors first: at the budget the answer is 508 at once, with no bind attempt.
  const std::size_t descriptors = request.reserve_next ? 2 : 1;
  if (!shared_.descriptors.relays.take(descriptors)) {
    ++descriptor_rejections_;
    return std::nullopt;
  }
  int fd = -1;
  int next_fd = -1;  // port+1, held under a RESERVATION-TOKEN (EVEN-PORT with R)
  const auto port = shared_.ports.acquire(
      ip, {.even = request.even_port, .pair = request.reserve_next}, random_,
      [&](std::uint16_t p) {
        const auto first = open_relay({ip, p}, request.dont_fragment, fd);
        if (first != RelayPorts::Bind::kBound || !request.reserve_next) return first;
        const auto second =
            open_relay({ip, static_cast<std::uint16_t>(p + 1)}, request.dont_fragment, next_fd);
        if (second != RelayPorts::Bind::kBound) ::close(fd);
        return second;
      });
  if (!port) {
    shared_.descriptors.relays.give(descriptors);
    return std::nullopt;
  }
  const SocketAddress at{ip, *port};
  RelayGrant grant{adopt_relay(fd, at), at};
  if (request.reserve_next) {
    // Port+1 is bound now (so nobody else takes it) but read by no loop until claimed.
    std::uint64_t token = 0;
    random_.fill(std::as_writable_bytes(std::span(&token, 1)));
    const SocketAddress next{ip, static_cast<std::uint16_t>(*port + 1)};
    grant.reservation_token = shared_.reservations.hold(next_fd, next, token, now());
    if (!grant.reservation_token) {  // the registry closed it and returned its budget
      release(grant.handle);
      return std::nullopt;
    }
  }
  return grant;
}

// Closes the relay socket and returns its port and its descriptor.
void Worker::release(RelayHandle handle) {
  auto it = relays_.find(handle);
  if (it == relays_.end()) return;
  boost::system::error_code ignored;
  it->second.socket->close(ignored);  // its pending wait completes with operation_aborted
  shared_.ports.release(it->second.local);
  shared_.descriptors.relays.give();
  relays_.erase(it);
}

void Worker::arm_relay(RelayHandle handle) {
  auto it = relays_.find(handle);
  if (it == relays_.end()) return;
  it->second.socket->async_wait(udp::socket::wait_read, [this, handle](auto ec) {
    if (!ec) on_relay_readable(handle);
  });
}

void Worker::on_relay_readable(RelayHandle handle) {
  // Relay sockets usually hold one or two datagrams; the answers to their clients are gathered
  // over every socket ready in this loop round and go out in one sendmmsg (flush_soon).
  for (int round = 0; round < kMaxRoundsPerWakeup; ++round) {
    auto it = relays_.find(handle);  // the allocation may go away while we process
    if (it == relays_.end()) return;
    if (receiver_.free_slots() < static_cast<int>(net::UdpBatchReceiver::kBatch) / 2) flush();
    int first = 0;
    const int n = receiver_.receive(it->second.socket->native_handle(), first);
    if (n == 0) break;
    const Timestamp t = now();
    for (int i = first; i < first + n; ++i) {
      if (receiver_.truncated(i)) continue;
      server_->handle_peer_packet(t, handle, receiver_.from(i), receiver_.data(i),
                                  net::UdpBatchReceiver::kHeadroom, queue_);
    }
    if (receiver_.free_slots() > 0) break;
  }
  flush_soon();
  arm_relay(handle);
}

// ---- TCP / TLS -----------------------------------------------------------------------------

void Worker::accept_next(std::size_t index) {
  acceptors_[index].acceptor->async_accept(
      loop_.context(), [this, index](auto ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted) return;
        if (!ec) {
          on_accepted(index, std::move(socket));
          accept_next(index);
          return;
        }
        // Out of file descriptors (or another accept error): retrying at once would spin. Pause
        // this acceptor briefly; pending connections wait in the kernel's backlog meanwhile.
        ++accept_errors_;
        auto pause = std::make_shared<asio::steady_timer>(loop_.context(), kAcceptBackoff);
        pause->async_wait([this, index, pause](auto wait_ec) {
          if (!wait_ec) accept_next(index);
        });
      });
}

// Every limit is checked before the connection costs anything but its descriptor, which is
// closed at once (the client sees the close, it does not hang): this worker's cap, the
// process's TCP/TLS descriptor share, and the connections of this client address.
void Worker::on_accepted(std::size_t index, tcp::socket socket) {
  const Acceptor& a = acceptors_[index];
  boost::system::error_code ec;
  const auto remote = socket.remote_endpoint(ec);
  if (ec) return;
  const SocketAddress from = net::from_endpoint(remote);
  if (connections_.size() >= config_.max_tcp_connections) {
    ++streams_refused_;
    return;
  }
  if (!shared_.descriptors.connections.take()) {
    ++streams_refused_;
    return;
  }
  if (!shared_.per_address.add(from.ip())) {
    shared_.descriptors.connections.give();
    ++streams_refused_;
    return;
  }
  const ClientRoute route{a.transport, shared_.next_connection_id.fetch_add(1), a.local, from};
  const net::StreamOptions options{.max_queue_bytes = config_.stream_write_queue_bytes,
                                   .max_frame_bytes = kMaxStreamBuffer,
                                   .handshake_timeout = kTlsHandshakeTimeout};
  std::shared_ptr<net::Stream> stream;
  if (a.transport == Transport::kTls) {
    auto context = shared_.tls ? shared_.tls->current() : nullptr;
    if (!context) {
      shared_.per_address.remove(from.ip());
      shared_.descriptors.connections.give();
      return;
    }
    stream = net::Stream::tls_server(std::move(socket), std::move(context), options);
  } else {
    stream = net::Stream::plain(std::move(socket), options);
  }
  connections_[route.connection] = {stream, route, now()};
  const std::uint64_t id = route.connection;
  stream->start({.framer = next_frame,
                 .on_frame =
                     [this, route](ByteSpan frame) {
                       server_->handle_client_packet(now(), route, frame, queue_);
                     },
                 .on_batch_end = [this] { flush(); },
                 .on_ready = {},
                 .on_close = [this, id](std::string_view) { on_stream_closed(id); }});
}

void Worker::on_stream_closed(std::uint64_t id) {
  server_->handle_connection_closed(now(), id);
  if (auto it = connections_.find(id); it != connections_.end()) {
    shared_.per_address.remove(it->second.route.remote.ip());
    shared_.descriptors.connections.give();
    connections_.erase(it);
  }
  timer_.rearm(std::min(server_->next_timeout(), now() + kHousekeeping));
}

// ---- output, timers, logs ------------------------------------------------------------------

void Worker::flush() {
  flush_posted_ = false;
  for (const auto& t : queue_.items()) {
    const ByteSpan payload = queue_.payload(t);
    if (t.via == Transmit::Via::kRelay) {
      auto it = relays_.find(t.relay);
      if (it != relays_.end()) sender_.add(it->second.socket->native_handle(), t.to, payload);
      continue;
    }
    if (t.client.transport == Transport::kUdp) {
      for (const auto& l : listeners_) {
        if (l.local == t.client.local) {
          sender_.add(l.socket->native_handle(), t.client.remote, payload);
          break;
        }
      }
      continue;
    }
    auto it = connections_.find(t.client.connection);
    if (it != connections_.end() && !it->second.stream->send(payload)) ++stream_drops_;
  }
  sender_.flush();
  queue_.clear();
  receiver_.reset();  // nothing points into the receive slots any more
  const Timestamp t = now();
  if (t >= next_publish_) publish_metrics(t);
  log_events(t);
}

// The core's timer (its next_timeout() is the allocation sweep) also paces the driver's own
// housekeeping: connection deadlines and reservations.
void Worker::on_timeout(Timestamp t) {
  server_->handle_timeout(t);
  if (index_ == 0) shared_.reservations.expire(t);
  close_idle_connections(t);
  flush();
  publish_metrics(t);
  if (accept_errors_ != accept_errors_logged_) {
    spdlog::warn("accept failed {} times (out of file descriptors?) worker={}",
                 accept_errors_ - accept_errors_logged_, index_);
    accept_errors_logged_ = accept_errors_;
  }
  timer_.rearm(std::min(server_->next_timeout(), t + kHousekeeping));
}

// TCP/TLS clients must allocate within allocate_timeout (coturn's max-allocate-timeout), or they
// would hold a connection slot for free; the TLS handshake deadline is the stream's own.
void Worker::close_idle_connections(Timestamp t) {
  std::vector<std::shared_ptr<net::Stream>> idle;
  for (auto& [id, c] : connections_) {
    if (!c.timed_out && t - c.accepted_at > config_.allocate_timeout &&
        !server_->find_allocation(c.route)) {
      c.timed_out = true;
      idle.push_back(c.stream);
    }
  }
  streams_timed_out_ += idle.size();
  for (auto& s : idle) s->close();
}

// Relaxed stores the metrics endpoint sums. At most every kPublishEvery from the send path, and
// with every housekeeping round: counting permissions and channels walks every allocation, and
// even the plain stores cost the relay path ~4 % at one datagram per batch when done each batch.
void Worker::publish_metrics(Timestamp t) {
  next_publish_ = t + kPublishEvery;
  metrics_.set(Metric::kAllocations, server_->allocation_count());
  metrics_.set(Metric::kPermissions, server_->permission_count());
  metrics_.set(Metric::kChannels, server_->channel_count());
  metrics_.publish(server_->counters());
  metrics_.set(Metric::kTcpConnections, connections_.size());
  metrics_.set(Metric::kUdpSendDrops, sender_.dropped());
  metrics_.set(Metric::kTruncated, receiver_.truncated_total());
  metrics_.set(Metric::kStreamDrops, stream_drops_);
  metrics_.set(Metric::kRelayBindAttempts, relay_bind_attempts_);
  metrics_.set(Metric::kDescriptorRejections, descriptor_rejections_);
  metrics_.set(Metric::kStreamsRefused, streams_refused_);
  metrics_.set(Metric::kStreamsTimedOut, streams_timed_out_);
}

void Worker::log_events(Timestamp t) {
  const std::int64_t second = t.us() / 1'000'000;
  if (second != log_window_s_) {
    if (log_suppressed_ > 0)
      spdlog::warn("log rate limit: suppressed {} event lines worker={}", log_suppressed_, index_);
    log_window_s_ = second;
    log_lines_ = 0;
    log_suppressed_ = 0;
  }
  ServerEvent& e = event_;  // reused: this runs after every batch, events or not
  while (server_->poll_event(e)) {
    if (log_lines_ >= kLogLinesPerSecond) {
      ++log_suppressed_;
      continue;
    }
    ++log_lines_;
    const EventLine line = event_line(e);
    if (line.warning)
      spdlog::warn("{}", line.text);
    else
      spdlog::info("{}", line.text);
  }
}

}  // namespace peerkit::turn
