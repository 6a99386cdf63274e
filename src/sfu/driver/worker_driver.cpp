#include "sfu/driver/worker_driver.h"

#include <boost/asio/ip/v6_only.hpp>

#include "net/asio_address.h"

namespace peerkit::sfu {

namespace asio = boost::asio;
using asio::ip::udp;

WorkerDriver::WorkerDriver(net::Loop& loop, Worker& worker)
    : loop_(loop), worker_(worker), socket_(loop.context()), timer_(loop, [this](Timestamp now) {
        worker_.handle_timeout(now);
        pump();
      }) {}

WorkerDriver::~WorkerDriver() {
  stop();
  *alive_ = false;
}

std::string WorkerDriver::bind(const SocketAddress& address) {
  boost::system::error_code ec;
  const auto ep = net::to_endpoint<udp::endpoint>(address);
  socket_.open(ep.protocol(), ec);
  if (!ec && address.ip().is_v6()) socket_.set_option(asio::ip::v6_only(true), ec);
  if (!ec) socket_.bind(ep, ec);
  if (!ec) socket_.non_blocking(true, ec);
  if (ec) return "bind " + address.to_string() + ": " + ec.message();
  (void)net::enable_gro(socket_.native_handle());
  return "";
}

SocketAddress WorkerDriver::local_address() const {
  boost::system::error_code ec;
  const auto ep = socket_.local_endpoint(ec);
  return ec ? SocketAddress() : net::from_endpoint(ep);
}

void WorkerDriver::start() {
  receive();
  pump();
}

void WorkerDriver::stop() {
  if (stopped_) return;
  stopped_ = true;
  timer_.cancel();
  boost::system::error_code ec;
  socket_.close(ec);
}

void WorkerDriver::receive() {
  socket_.async_wait(udp::socket::wait_read,
                     [this, alive = alive_](const boost::system::error_code& ec) {
                       if (!*alive || stopped_ || ec == asio::error::operation_aborted) return;
                       if (!ec) drain();
                       if (!*alive || stopped_) return;
                       receive();
                     });
}

void WorkerDriver::drain() {
  constexpr int kReadsPerWake = 64;  // then yield to the loop's other work
  const int fd = socket_.native_handle();
  const MutableByteSpan buffer = loop_.receive_buffer();
  for (int i = 0; i < kReadsPerWake; ++i) {
    auto got = net::receive_segments(fd, buffer, from_);
    if (!got) break;
    if (got->truncated) continue;  // larger than any STUN, DTLS or SRTP datagram
    const Timestamp read_at = loop_.now();  // one clock read for the batch
    std::uint64_t segments = 0;
    for (std::size_t at = 0; at < got->bytes; at += got->segment) {
      const std::size_t n = std::min(got->segment, got->bytes - at);
      ++segments;
      worker_.handle_datagram(read_at, kSocket, from_, ByteSpan(buffer.data() + at, n));
    }
    datagrams_in_ += segments;
    // A batch of input, then its output: forwarding latency stays one read, not 64.
    const auto sent = send_and_deliver();
    if (!sent) return;  // an event handler destroyed the driver
    if (*sent > 0) latency_.add(loop_.now() - read_at, segments);
    if (stopped_) return;
  }
}

std::optional<std::size_t> WorkerDriver::send_and_deliver() {
  if (stopped_) return 0;
  std::size_t sent = 0;
  {
    auto batch = worker_.transmits();
    for (const Transmit& t : batch) {
      out_.add(socket_.native_handle(), t.to, t.data);
      ++sent;
    }
    out_.flush();
  }
  const auto alive = alive_;
  while (auto e = worker_.poll_event()) {
    if (on_event) on_event(*e);
    if (!*alive) return std::nullopt;
  }
  timer_.rearm(worker_.next_timeout());
  return sent;
}

}  // namespace peerkit::sfu
