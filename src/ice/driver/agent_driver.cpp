#include "ice/driver/agent_driver.h"

#include <algorithm>

#include "net/asio_address.h"
#include "net/udp_gso.h"
#include "turn/stream_framing.h"

namespace peerkit::ice {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;

namespace {
constexpr std::size_t kMaxStreamQueue = 256 * 1024;  // bytes waiting to be written to a server
constexpr std::size_t kMaxStreamBuffer = 131072;     // bytes read but not yet framed
}  // namespace

struct AgentDriver::Udp {
  explicit Udp(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  SocketId id;
  SocketAddress from;
};

AgentDriver::AgentDriver(net::Loop& loop, Agent& agent, DriverOptions options)
    : loop_(loop), agent_(agent), options_(std::move(options)), timer_(loop, [this](Timestamp now) {
        agent_.handle_timeout(now);
        pump();
      }) {}

AgentDriver::~AgentDriver() {
  stop();
  // Cancelled operations still complete later, on the loop, after this object is gone.
  *alive_ = false;
}

std::string AgentDriver::add_host(const IpAddress& ip, std::uint16_t port) {
  auto u = std::make_unique<Udp>(loop_.context());
  boost::system::error_code ec;
  const auto ep = net::to_endpoint<udp::endpoint>(SocketAddress(ip, port));
  u->socket.open(ep.protocol(), ec);
  if (!ec && ip.is_v6()) u->socket.set_option(asio::ip::v6_only(true), ec);
  if (!ec) u->socket.bind(ep, ec);
  if (ec) return "bind " + SocketAddress(ip, port).to_string() + ": " + ec.message();
  u->socket.non_blocking(true, ec);
  // Bursts from a peer's GSO arrive joined; drain() splits them by the segment size.
  (void)net::enable_gro(u->socket.native_handle());
  const auto local = net::from_endpoint(u->socket.local_endpoint());
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
  for (auto& s : streams_)
    if (s.stream) s.stream->close();
}

// Waits for the socket to be readable, then drains it: up to kReadsPerWake reads, each of which
// may carry several datagrams joined by GRO. Every datagram goes to the agent at once; the pump
// (and so the data layer's reply, e.g. an SCTP SACK) runs after every kDatagramsPerRound
// datagrams and at the end. A burst costs one wake-up and a few reads instead of a system call
// per datagram, and what the pump sends leaves in GSO batches; the peer still hears back as
// often as the protocols expect (see kDatagramsPerRound).
void AgentDriver::receive(std::size_t index) {
  udp_[index]->socket.async_wait(
      udp::socket::wait_read, [this, alive = alive_, index](const boost::system::error_code& ec) {
        if (!*alive || stopped_ || ec == asio::error::operation_aborted) return;
        if (!ec) drain(index);
        if (!*alive || stopped_) return;
        receive(index);
      });
}

void AgentDriver::drain(std::size_t index) {
  constexpr int kReadsPerWake = 64;  // then yield to the loop's other work
  auto& u = *udp_[index];
  const int fd = u.socket.native_handle();
  // The loop's shared buffer: every read of the batch reuses it, which is safe because each
  // datagram is handled to the end before the next read (the agent never keeps or borrows
  // input bytes, and on_data consumes them at once).
  const MutableByteSpan buffer = loop_.receive_buffer();
  // A copy: if a callback destroyed this driver, reading the member would itself be a use after
  // free.
  const auto alive = alive_;
  std::size_t since_round = 0;
  auto end_round = [&] {
    since_round = 0;
    if (on_receive_batch_end) on_receive_batch_end();
    if (!*alive || stopped_) return false;
    pump();
    return *alive && !stopped_;
  };
  for (int i = 0; i < kReadsPerWake; ++i) {
    auto got = net::receive_segments(fd, buffer, u.from);
    if (!got) break;
    if (got->truncated) continue;  // larger than any datagram ICE, DTLS or TURN sends
    for (std::size_t at = 0; at < got->bytes; at += got->segment) {
      const std::size_t n = std::min(got->segment, got->bytes - at);
      const auto r = agent_.handle_packet(now(), u.id, u.from, ByteSpan(buffer.data() + at, n));
      if (!r.payload.empty() && on_data) on_data(r);
      if (!*alive || stopped_) return;
      ++since_round;
    }
    if (since_round >= kDatagramsPerRound && !end_round()) return;
  }
  if (since_round > 0) end_round();
}

void AgentDriver::pump() {
  if (stopped_) return;
  {
    // Consecutive datagrams to one peer leave in one GSO call; flushed while the batch (and so
    // the bytes it points at) is alive. Nothing in this loop calls into the agent: a push while
    // iterating could grow its arena under the iovecs the sender holds.
    auto batch = agent_.transmits();
    for (const Transmit& t : batch) {
      if (auto u = udp_by_socket_.find(t.socket); u != udp_by_socket_.end()) {
        // Non-blocking: a full socket buffer drops the datagram, as the network might.
        out_.add(udp_[u->second]->socket.native_handle(), t.to, t.data);
      } else if (auto s = stream_by_socket_.find(t.socket); s != stream_by_socket_.end()) {
        // The stream copies into its bounded queue; a full queue drops the frame, as a congested
        // path would.
        streams_[s->second].stream->send(t.data);
      }
    }
    out_.flush();
  }
  while (auto e = agent_.poll_event()) {
    if (e->kind == Event::Kind::kConnectServer)
      connect_server(e->server, *SocketAddress::parse(e->detail),
                     e->transport == ServerTransport::kTls, e->host_name);
    if (on_event) on_event(*e);
  }
  timer_.rearm(agent_.next_timeout());
}

void AgentDriver::connect_server(std::size_t server, const SocketAddress& to, bool tls,
                                 const std::string& host_name) {
  const std::size_t index = streams_.size();
  streams_.push_back({.server = server, .address = to, .tls = tls, .host_name = host_name});
  if (tls && !tls_) {
    auto made = net::make_tls_client_context(options_.tls_ca_file);
    if (!made) {
      agent_.server_connect_failed(now(), server, "TLS to " + to.to_string() + ": " + made.error());
      return;  // the caller's pump() delivers what the agent made of it
    }
    tls_ = *made;
  }
  auto socket = std::make_shared<tcp::socket>(loop_.context());
  socket->async_connect(
      net::to_endpoint<tcp::endpoint>(to),
      [this, alive = alive_, index, socket](const boost::system::error_code& ec) {
        if (!*alive || stopped_) return;
        if (ec) {
          agent_.server_connect_failed(
              now(), streams_[index].server,
              "connect " + streams_[index].address.to_string() + ": " + ec.message());
          return pump();
        }
        start_stream(index, std::move(*socket));
      });
}

void AgentDriver::start_stream(std::size_t index, tcp::socket socket) {
  ServerStream& s = streams_[index];
  const net::StreamOptions options{.max_queue_bytes = kMaxStreamQueue,
                                   .max_frame_bytes = kMaxStreamBuffer};
  // TURN over TLS (RFC 8656 §3.2): the certificate must name the server as configured: its host
  // name, or the address when it was given as one.
  const std::string name = s.host_name.empty() ? s.address.ip().to_string() : s.host_name;
  s.stream =
      s.tls ? net::Stream::tls_client(std::move(socket), tls_, name, options)
            : net::Stream::plain(std::move(socket), options);
  s.stream->start({.framer = turn::next_frame,
                   .on_frame =
                       [this, alive = alive_, index](ByteSpan frame) {
                         if (!*alive || stopped_) return;
                         const auto r = agent_.handle_packet(now(), streams_[index].id,
                                                             streams_[index].address, frame);
                         if (!r.payload.empty() && on_data) on_data(r);
                       },
                   .on_batch_end =
                       [this, alive = alive_] {
                         if (!*alive || stopped_) return;
                         // As after a UDP read batch: the data layer answers once per batch.
                         if (on_receive_batch_end) on_receive_batch_end();
                         if (*alive && !stopped_) pump();
                       },
                   .on_ready =
                       [this, alive = alive_, index] {
                         if (!*alive || stopped_) return;
                         ServerStream& up = streams_[index];
                         up.up = true;
                         up.id = agent_.add_server_stream(now(), up.server, up.stream->local());
                         stream_by_socket_[up.id] = index;
                         pump();
                       },
                   .on_close =
                       [this, alive = alive_, index](std::string_view why) {
                         if (*alive && !stopped_) stream_closed(index, why);
                       }});
}

void AgentDriver::stream_closed(std::size_t index, std::string_view why) {
  ServerStream& s = streams_[index];
  if (s.up) {
    stream_by_socket_.erase(s.id);
    agent_.server_stream_closed(now(), s.id,
                                "stream to the TURN server closed: " + std::string(why));
  } else {
    agent_.server_connect_failed(now(), s.server,
                                 std::string(s.tls ? "TLS to " : "connect ") +
                                     s.address.to_string() + ": " + std::string(why));
  }
  pump();
}

}  // namespace peerkit::ice
