#include "ice/driver/agent_driver.h"

#include <boost/asio/ssl/host_name_verification.hpp>

#include "net/endpoint.h"
#include "turn/stream_framing.h"

namespace peerkit::ice {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {

template <class Endpoint>
Endpoint to_endpoint(const SocketAddress& a) {
  return Endpoint(asio::ip::make_address(a.ip().to_string()), a.port());
}

template <class Endpoint>
SocketAddress from_endpoint(const Endpoint& e) {
  return SocketAddress(*IpAddress::parse(e.address().to_string()), e.port());
}

constexpr std::size_t kMaxStreamQueue = 256;      // frames waiting to be written to a server
constexpr std::size_t kMaxStreamBuffer = 131072;  // bytes read but not yet framed

}  // namespace

struct AgentDriver::Udp {
  explicit Udp(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  SocketId id;
  udp::endpoint from;
  std::array<std::byte, 65536> buffer;
};

struct AgentDriver::Stream {
  explicit Stream(asio::io_context& io) : socket(io) {}
  tcp::socket socket;
  std::unique_ptr<asio::ssl::stream<tcp::socket&>> tls;  // TURN over TLS (RFC 8656 §3.2)
  SocketId id;
  std::size_t server = 0;
  SocketAddress server_address;
  std::vector<std::byte> inbox;
  std::array<std::byte, 16384> chunk;
  std::deque<std::vector<std::byte>> outbox;
  bool closed = false;
};

AgentDriver::AgentDriver(asio::io_context& io, Agent& agent, DriverOptions options)
    : io_(io), agent_(agent), options_(std::move(options)), timer_(io) {}

AgentDriver::~AgentDriver() {
  stop();
  // Cancelled operations still complete later, on the io_context, after this object is gone.
  *alive_ = false;
}

std::string AgentDriver::add_host(const IpAddress& ip, std::uint16_t port) {
  auto u = std::make_unique<Udp>(io_);
  boost::system::error_code ec;
  const auto ep = to_endpoint<udp::endpoint>(SocketAddress(ip, port));
  u->socket.open(ep.protocol(), ec);
  if (!ec && ip.is_v6()) u->socket.set_option(asio::ip::v6_only(true), ec);
  if (!ec) u->socket.bind(ep, ec);
  if (ec) return "bind " + SocketAddress(ip, port).to_string() + ": " + ec.message();
  u->socket.non_blocking(true, ec);
  const auto local = from_endpoint(u->socket.local_endpoint());
  u->id = agent_.add_host_socket(local);
  udp_by_socket_[u->id] = udp_.size();
  udp_.push_back(std::move(u));
  return "";
}

void AgentDriver::start() {
  for (std::size_t i = 0; i < udp_.size(); ++i) receive(i);
  agent_.gather(now());
  pump();
}

void AgentDriver::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  boost::system::error_code ec;
  for (auto& u : udp_) u->socket.close(ec);
  for (auto& s : streams_) s->socket.close(ec);
}

void AgentDriver::receive(std::size_t index) {
  auto& u = *udp_[index];
  u.socket.async_receive_from(
      asio::buffer(u.buffer.data(), u.buffer.size()), u.from,
      [this, alive = alive_, index](const boost::system::error_code& ec, std::size_t n) {
        if (!*alive || stopped_ || ec == asio::error::operation_aborted) return;
        auto& u = *udp_[index];
        if (!ec) {
          const auto r = agent_.handle_packet(now(), u.id, from_endpoint(u.from),
                                              ByteSpan(u.buffer.data(), n));
          if (!r.payload.empty() && on_data) on_data(r);
          pump();
        }
        receive(index);
      });
}

void AgentDriver::pump() {
  if (stopped_) return;
  for (const Transmit& t : agent_.transmits()) {
    if (auto u = udp_by_socket_.find(t.socket); u != udp_by_socket_.end()) {
      boost::system::error_code ec;
      // Non-blocking: a full socket buffer drops the datagram, as the network might.
      udp_[u->second]->socket.send_to(asio::buffer(t.data.data(), t.data.size()),
                                      to_endpoint<udp::endpoint>(t.to), 0, ec);
    } else if (auto s = stream_by_socket_.find(t.socket); s != stream_by_socket_.end()) {
      // The stream's outbox outlives the batch: it keeps its own copy.
      write_stream(*streams_[s->second], std::vector<std::byte>(t.data.begin(), t.data.end()));
    }
  }
  while (auto e = agent_.poll_event()) {
    if (e->kind == Event::Kind::kConnectServer)
      connect_server(e->server, *SocketAddress::parse(e->detail),
                     e->transport == ServerTransport::kTls);
    if (on_event) on_event(*e);
  }
  arm_timer();
}

void AgentDriver::arm_timer() {
  const Timestamp next = agent_.next_timeout();
  if (next == Timestamp::never()) {
    timer_.cancel();
    return;
  }
  const auto delay = std::chrono::microseconds(std::max<std::int64_t>(0, (next - now()).us()));
  timer_.expires_after(delay);
  timer_.async_wait([this, alive = alive_](const boost::system::error_code& ec) {
    if (!*alive || ec || stopped_) return;
    agent_.handle_timeout(now());
    pump();
  });
}

void AgentDriver::connect_server(std::size_t server, const SocketAddress& to, bool tls) {
  auto s = std::make_unique<Stream>(io_);
  s->server = server;
  s->server_address = to;
  const std::size_t index = streams_.size();
  if (tls) {
    if (!tls_) {
      tls_ = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
      boost::system::error_code ec;
      if (options_.tls_ca_file.empty())
        tls_->set_default_verify_paths(ec);
      else
        tls_->load_verify_file(options_.tls_ca_file, ec);
      tls_->set_verify_mode(asio::ssl::verify_peer);
    }
    s->tls = std::make_unique<asio::ssl::stream<tcp::socket&>>(s->socket, *tls_);
    s->tls->set_verify_callback(asio::ssl::host_name_verification(to.ip().to_string()));
  }
  streams_.push_back(std::move(s));
  streams_[index]->socket.async_connect(
      to_endpoint<tcp::endpoint>(to),
      [this, alive = alive_, index](const boost::system::error_code& ec) {
        if (!*alive || stopped_) return;
        auto& s = *streams_[index];
        if (ec)
          return stream_failed(index,
                               "connect " + s.server_address.to_string() + ": " + ec.message());
        boost::system::error_code ignored;
        s.socket.set_option(tcp::no_delay(true), ignored);
        if (!s.tls) return stream_up(index);
        s.tls->async_handshake(
            asio::ssl::stream_base::client,
            [this, alive = alive_, index](const boost::system::error_code& ec) {
              if (!*alive || stopped_) return;
              if (ec)
                return stream_failed(
                    index,
                    "TLS to " + streams_[index]->server_address.to_string() + ": " + ec.message());
              stream_up(index);
            });
      });
}

void AgentDriver::stream_failed(std::size_t index, const std::string& why) {
  auto& s = *streams_[index];
  s.closed = true;
  boost::system::error_code ignored;
  s.socket.close(ignored);
  agent_.server_connect_failed(now(), s.server, why);
  pump();
}

void AgentDriver::stream_up(std::size_t index) {
  auto& s = *streams_[index];
  s.id = agent_.add_server_stream(now(), s.server, from_endpoint(s.socket.local_endpoint()));
  stream_by_socket_[s.id] = index;
  read_stream(index);
  pump();
}

void AgentDriver::read_stream(std::size_t index) {
  auto& s = *streams_[index];
  auto on_read = [this, alive = alive_, index](const boost::system::error_code& ec, std::size_t n) {
    if (!*alive || stopped_ || ec == asio::error::operation_aborted) return;
    on_stream_read(index, ec, n);
  };
  const auto buffer = asio::buffer(s.chunk.data(), s.chunk.size());
  if (s.tls)
    s.tls->async_read_some(buffer, std::move(on_read));
  else
    s.socket.async_read_some(buffer, std::move(on_read));
}

void AgentDriver::on_stream_read(std::size_t index, const boost::system::error_code& ec,
                                 std::size_t n) {
  auto& s = *streams_[index];
  if (ec) {
    s.closed = true;
    agent_.server_stream_closed(now(), s.id, "stream to the TURN server closed: " + ec.message());
    pump();
    return;
  }
  s.inbox.insert(s.inbox.end(), s.chunk.begin(), s.chunk.begin() + static_cast<long>(n));
  std::size_t at = 0;
  while (true) {
    const auto f = turn::next_frame(ByteSpan(s.inbox).subspan(at));
    if (f.status == turn::FrameStatus::kNeedMore) break;
    if (f.status == turn::FrameStatus::kInvalid) {
      s.closed = true;
      agent_.server_stream_closed(
          now(), s.id, "stream to the TURN server: bytes that are not STUN or ChannelData");
      boost::system::error_code ignored;
      s.socket.close(ignored);
      pump();
      return;
    }
    const auto r = agent_.handle_packet(now(), s.id, s.server_address,
                                        ByteSpan(s.inbox).subspan(at, f.frame_length));
    if (!r.payload.empty() && on_data) on_data(r);
    at += f.consumed;
  }
  s.inbox.erase(s.inbox.begin(), s.inbox.begin() + static_cast<long>(at));
  if (s.inbox.size() > kMaxStreamBuffer) s.inbox.clear();
  pump();
  read_stream(index);
}

void AgentDriver::write_stream(Stream& s, std::vector<std::byte> bytes) {
  if (s.closed || s.outbox.size() >= kMaxStreamQueue) return;
  s.outbox.push_back(std::move(bytes));
  if (s.outbox.size() == 1) write_front(s);  // else a write is in flight
}

void AgentDriver::write_front(Stream& s) {
  const auto buffer = asio::buffer(s.outbox.front().data(), s.outbox.front().size());
  auto done = [this, alive = alive_, &s](const boost::system::error_code& ec, std::size_t) {
    if (!*alive) return;
    if (stopped_ || ec) {
      s.outbox.clear();
      return;
    }
    s.outbox.pop_front();
    if (!s.outbox.empty()) write_front(s);
  };
  if (s.tls)
    asio::async_write(*s.tls, buffer, std::move(done));
  else
    asio::async_write(s.socket, buffer, std::move(done));
}

}  // namespace peerkit::ice
