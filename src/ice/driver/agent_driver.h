// Binds an ice::Agent to real sockets on one Asio io_context (one thread): a UDP socket per
// selected host address, a TCP stream per TURN-over-TCP server (framed per RFC 8656 §12.5),
// one steady timer at agent.next_timeout(). Everything the agent decides stays in the core;
// this file only moves bytes and time.
#pragma once

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/time.h"
#include "ice/agent.h"

namespace peerkit::ice {

struct DriverOptions {
  // TURN over TLS: the server certificate must chain to these CAs (a PEM file; empty: the
  // system's) and name the server's address (IP SAN) — no way to turn verification off.
  std::string tls_ca_file;
};

class AgentDriver {
 public:
  AgentDriver(boost::asio::io_context& io, Agent& agent, DriverOptions options = {});
  ~AgentDriver();

  // Binds a UDP socket on `ip` (port 0 unless given) and hands it to the agent. "" or why not.
  std::string add_host(const IpAddress& ip, std::uint16_t port = 0);
  // Starts receiving and gathering.
  void start();
  // After calling into the agent from outside (candidates, credentials, restart, send): sends
  // what it produced, delivers its events, and re-arms the timer.
  void pump();
  void stop();

  Timestamp now() const { return clock_.now(); }
  std::function<void(const Event&)> on_event;
  std::function<void(const Received&)> on_data;

 private:
  struct Udp;
  struct Stream;
  void receive(std::size_t index);
  void connect_server(std::size_t server, const SocketAddress& to, bool tls);
  void stream_up(std::size_t index);
  void stream_failed(std::size_t index, const std::string& why);
  void read_stream(std::size_t index);
  void on_stream_read(std::size_t index, const boost::system::error_code& ec, std::size_t n);
  void write_stream(Stream& s, std::vector<std::byte> bytes);
  void write_front(Stream& s);
  void arm_timer();

  boost::asio::io_context& io_;
  Agent& agent_;
  DriverOptions options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;  // made on first TLS server
  SteadyClock clock_;
  boost::asio::steady_timer timer_;
  std::vector<std::unique_ptr<Udp>> udp_;  // indexed like the agent's SocketIds for UDP
  std::vector<std::unique_ptr<Stream>> streams_;
  std::map<SocketId, std::size_t> udp_by_socket_;
  std::map<SocketId, std::size_t> stream_by_socket_;
  bool stopped_ = false;
  // Shared with every pending handler: false once the driver is destroyed, because handlers
  // cancelled by the destructor still run later on the io_context.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::ice
