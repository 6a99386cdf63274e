// One worker thread of `peerkit turn`: its own io_context, its own SO_REUSEPORT listeners (UDP,
// TCP, TLS), the relay sockets of the allocations it owns, and one sans-IO Server core. Workers
// share nothing but the immutable configuration, the quota ledger and the TLS context.
#pragma once

#include <array>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/udp.hpp>
#include <functional>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "common/random.h"
#include "net/loop.h"
#include "net/stream.h"
#include "net/tls.h"
#include "net/udp_batch.h"
#include "turn/server.h"
#include "turn/service/config.h"
#include "turn/service/connection_limits.h"
#include "turn/service/descriptor_budget.h"
#include "turn/service/metrics.h"
#include "turn/service/relay_ports.h"
#include "turn/service/reservations.h"
#include "turn/service/shared_quotas.h"

namespace peerkit::turn {

// State shared by all workers, owned by TurnService.
struct WorkerShared {
  WorkerShared(const TurnServiceConfig& c, SharedQuotas& q);
  const TurnServiceConfig& config;
  SharedQuotas& quotas;
  SharedUnauthLimiter* unauth = nullptr;             // one budget per client across workers
  SharedRelayDirectory* relay_addresses = nullptr;  // every worker's relays
  std::array<std::byte, 32> nonce_secret{};
  std::vector<IpAddress> own_addresses;
  std::int64_t unix_time_offset = 0;                  // unix seconds = offset + steady seconds
  std::unique_ptr<net::ReloadableServerContext> tls;  // TURN over TLS; reloaded on SIGUSR2
  std::atomic<std::uint64_t> next_connection_id{1};
  DescriptorBudget descriptors;         // relay sockets and TCP/TLS clients, process-wide
  RelayPorts ports;                     // the relay ports this process holds
  ConnectionsPerAddress per_address;    // TCP/TLS clients per client address (key)
  ReservationRegistry reservations;     // after the budgets: closing one returns to them
};

class Worker : private RelayAllocator {
 public:
  Worker(unsigned index, WorkerShared& shared);
  ~Worker() override;

  // Opens this worker's listeners; an error text on failure (e.g. port in use).
  std::string open();
  void start();
  // From another thread: closes every socket, writes the last log lines, ends the thread.
  void stop();
  // From any thread: the worker's core checks REST credentials against `secrets` from its next
  // loop round on.
  void set_secrets(std::vector<std::string> secrets);
  const WorkerMetrics& metrics() const { return metrics_; }

 private:
  struct Listener {
    std::unique_ptr<boost::asio::ip::udp::socket> socket;
    SocketAddress local;
  };
  struct RelaySocket {
    std::unique_ptr<boost::asio::ip::udp::socket> socket;
    SocketAddress local;
  };
  struct Acceptor {
    std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
    SocketAddress local;
    Transport transport;
  };
  struct Connection {  // one TCP/TLS client (RFC 8656 §3.1)
    std::shared_ptr<net::Stream> stream;
    ClientRoute route;
    Timestamp accepted_at;
    bool timed_out = false;  // closed for not allocating in time; its close may come later
  };

  // RelayAllocator
  std::optional<RelayGrant> allocate(const RelayRequest& request) override;
  bool supports(AddressFamily family) const override;
  void release(RelayHandle handle) override;
  std::optional<RelayGrant> claim_reservation(std::uint64_t token) override;
  // One bind attempt of a relay socket: its fd, or why not (see RelayPorts::Bind).
  RelayPorts::Bind open_relay(const SocketAddress& at, bool dont_fragment, int& fd);
  RelayHandle adopt_relay(int fd, const SocketAddress& at);

  void arm_listener(std::size_t index);
  void arm_relay(RelayHandle handle);
  void on_listener_readable(std::size_t index);
  void on_relay_readable(RelayHandle handle);
  void accept_next(std::size_t index);
  void on_accepted(std::size_t index, boost::asio::ip::tcp::socket socket);
  void on_timeout(Timestamp now);
  void close_idle_connections(Timestamp now);
  void flush();
  void flush_soon();  // once per event-loop round, after every ready handler has run
  void publish_metrics(Timestamp now);
  void log_events(Timestamp now);
  Timestamp now() const { return loop_.now(); }

  void on_stream_closed(std::uint64_t id);

  unsigned index_;
  WorkerShared& shared_;
  const TurnServiceConfig& config_;
  net::Loop loop_;
  CryptoRandom random_;
  std::unique_ptr<Server> server_;
  TransmitQueue queue_;
  net::UdpBatchReceiver receiver_;
  net::UdpBatchSender sender_;
  std::vector<Listener> listeners_;
  std::vector<Acceptor> acceptors_;
  std::unordered_map<RelayHandle, RelaySocket> relays_;
  RelayHandle next_relay_;
  std::unordered_map<std::uint64_t, Connection> connections_;
  net::CoreTimer timer_;      // at the core's next_timeout(), which also paces the housekeeping
  std::size_t relay_rr_ = 0;  // round robin over relay IPs
  WorkerMetrics metrics_;
  Timestamp next_publish_;
  ServerEvent event_;
  std::uint64_t stream_drops_ = 0;
  std::uint64_t relay_bind_attempts_ = 0;
  std::uint64_t descriptor_rejections_ = 0;  // Allocates refused: relay descriptors used up
  std::uint64_t streams_refused_ = 0;        // connections closed at accept (a limit)
  std::uint64_t streams_timed_out_ = 0;      // closed for not allocating in time
  bool flush_posted_ = false;
  std::uint64_t accept_errors_ = 0;
  std::uint64_t accept_errors_logged_ = 0;
  std::int64_t log_window_s_ = 0;
  int log_lines_ = 0;
  int log_suppressed_ = 0;
};

}  // namespace peerkit::turn
