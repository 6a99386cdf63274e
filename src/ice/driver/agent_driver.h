// Binds an ice::Agent to real sockets on one net::Loop (one thread): a UDP socket per selected
// host address, a net::Stream per TURN-over-TCP/TLS server (framed per RFC 8656 §12.5, TLS
// verified by net/tls), and one CoreTimer at agent.next_timeout(). Everything the agent decides
// stays in the core; this file only moves bytes and time. Every call on the loop's thread.
#pragma once

#include <boost/asio/ip/udp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "common/time.h"
#include "ice/agent.h"
#include "net/loop.h"
#include "net/stream.h"
#include "net/tls.h"
#include "net/udp_gso.h"

namespace peerkit::ice {

struct DriverOptions {
  // TURN over TLS: the server certificate must chain to these CAs (a PEM file; empty: the
  // system's) and name the server's address (IP SAN) — no way to turn verification off.
  std::string tls_ca_file;
};

class AgentDriver {
 public:
  AgentDriver(net::Loop& loop, Agent& agent, DriverOptions options = {});
  ~AgentDriver();

  // Binds a UDP socket on `ip` (port 0 unless given) and hands it to the agent. "" or why not.
  std::string add_host(const IpAddress& ip, std::uint16_t port = 0);
  // How many received datagrams are handled before the output they caused is sent (drain()).
  // Two: the data layer then SACKs every second packet, as RFC 9260 §6.2 asks. Larger rounds
  // (one SACK per 16 datagrams, or per whole read batch) were measured worse: a small window
  // after a loss got one SACK per round trip, and losing that SACK stalled the sender until
  // T3 (4 MiB at 5 % loss each way over a veth: 3–6 s with 16, 0.1–0.8 s with 2), and goodput
  // over loopback was no better.
  static constexpr std::size_t kDatagramsPerRound = 2;
  // Starts receiving and gathering.
  void start();
  // After calling into the agent from outside (candidates, credentials, restart, send): sends
  // what it produced, delivers its events, and re-arms the timer.
  void pump();
  void stop();

  Timestamp now() const { return loop_.now(); }
  std::function<void(const Event&)> on_event;
  std::function<void(const Received&)> on_data;
  // After every datagram of one read batch went to on_data, before the driver's own pump: the
  // place to produce the data layer's output once per batch.
  std::function<void()> on_receive_batch_end;

 private:
  struct Udp;
  struct ServerStream {  // a TURN server reached over TCP or TLS
    std::size_t server = 0;
    SocketAddress address;
    bool tls = false;
    std::string host_name;  // what TLS verifies; empty: the address
    bool up = false;  // the agent knows it (add_server_stream was called)
    SocketId id;
    std::shared_ptr<net::Stream> stream;
  };
  void receive(std::size_t index);
  void drain(std::size_t index);
  void connect_server(std::size_t server, const SocketAddress& to, bool tls,
                      const std::string& host_name);
  void start_stream(std::size_t index, boost::asio::ip::tcp::socket socket);
  void stream_closed(std::size_t index, std::string_view why);

  net::Loop& loop_;
  Agent& agent_;
  DriverOptions options_;
  net::TlsContextPtr tls_;  // made on the first TLS server
  net::CoreTimer timer_;
  std::vector<std::unique_ptr<Udp>> udp_;  // indexed like the agent's SocketIds for UDP
  std::vector<ServerStream> streams_;
  std::map<SocketId, std::size_t> udp_by_socket_;
  std::map<SocketId, std::size_t> stream_by_socket_;
  net::GsoSender out_;
  bool stopped_ = false;
  // Shared with every pending handler: false once the driver is destroyed, because handlers
  // cancelled by the destructor still run later on the loop.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace peerkit::ice
