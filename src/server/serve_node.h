// One node of `peerkit serve`, its composition root: the acceptor and connection limits, TLS
// (with reload), the embedded STUN/TURN service on its own workers, the SFU (ServeSfu: one worker
// loop and UDP port per core, src/sfu/), /metrics, and both signaling cores. One event loop thread
// runs HTTP, both WebSocket protocols and the cores (single-threaded by design; one loop per
// thread). The sessions see the node only through SessionHost.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/expected.h"
#include "common/random.h"
#include "net/loop.h"
#include "net/tls.h"
#include "server/config.h"
#include "server/http_router.h"
#include "server/serve_cluster.h"
#include "server/serve_sfu.h"
#include "server/session_host.h"
#include "signaling/peerjs_server.h"
#include "signaling/rate_limiter.h"
#include "signaling/rooms_server.h"
#include "turn/service/turn_service.h"

namespace peerkit::server {

class ServeNode final : public signaling::Transport, public SessionHost {
 public:
  explicit ServeNode(ServeConfig config);
  ~ServeNode() override;

  // Binds, starts the TURN service and the loop thread. An error text on failure.
  std::string start();
  // Closes every WebSocket with 1001, waits up to the grace period, stops everything.
  void stop();
  std::string reload_tls();
  // Re-reads --ice-secret-file (SIGHUP): its first secret signs the credentials handed out from
  // now on, and the embedded TURN server accepts every one listed. From any thread but the
  // loop's; returns once the loop uses them. The number of secrets, or an error (the old stay).
  Expected<std::size_t, std::string> reload_secrets();
  std::uint16_t port() const { return port_; }
  // The SFU workers' UDP ports (empty without an SFU).
  std::vector<std::uint16_t> sfu_ports() const { return sfu_ ? sfu_->ports() : std::vector<std::uint16_t>{}; }
  const ServeConfig& config() const { return config_; }
  std::string metrics_text() const;  // on the loop thread only

  // signaling::Transport (loop thread).
  bool send(signaling::SessionId session, std::string_view text) override;
  void close(signaling::SessionId session, std::uint16_t code, std::string_view reason) override;

  // SessionHost (loop thread).
  const SessionLimits& limits() const override { return limits_; }
  const HttpRouter& router() const override { return *router_; }
  DriverStats& stats() override { return stats_; }
  bool stopping() const override { return stopping_; }
  LoopRound& round() override { return round_; }
  void upgrade(PlainStream&& stream, ConnectionSlot slot, Upgrade upgrade,
               Request request) override;
  void upgrade(TlsStream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request) override;
  void on_ws_open(signaling::SessionId id, const Upgrade& upgrade, std::string_view host,
                  const IpAddress& address, std::shared_ptr<WsSessionBase> session) override;
  void on_ws_message(signaling::SessionId id, SocketKind kind, std::string_view text) override;
  void on_ws_closed(signaling::SessionId id, SocketKind kind) override;

 private:
  void accept();
  void on_timeout(Timestamp now);
  template <class Stream>
  void start_ws(Stream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request);

  ServeConfig config_;
  SessionLimits limits_;
  LoopRound round_;  // before loop_: outlives the sessions the loop's handlers may still hold
  net::Loop loop_{"serve"};
  boost::asio::ip::tcp::acceptor acceptor_{loop_.context()};
  net::CoreTimer timer_;  // PeerServer's liveness and offline-queue checks
  boost::asio::steady_timer accept_retry_{loop_.context()};
  std::unique_ptr<net::ReloadableServerContext> tls_;  // https/wss; reloaded on SIGUSR2/SIGHUP
  std::uint16_t port_ = 0;

  CryptoRandom random_;
  signaling::PeerJsServer peerjs_;
  signaling::RoomsServer rooms_;
  std::unique_ptr<HttpRouter> router_;
  std::unique_ptr<turn::TurnService> turn_;
  std::unique_ptr<ServeCluster> cluster_;  // --cluster; after the cores it routes for
  std::unique_ptr<ServeSfu> sfu_;          // SFU rooms; not with --cluster
  std::unordered_map<signaling::SessionId, std::shared_ptr<WsSessionBase>> sessions_;
  signaling::SessionId next_session_{1};
  std::shared_ptr<ConnectionBook> connections_;
  DriverStats stats_;
  bool stopping_ = false;
  Timestamp last_idle_tick_;
  std::uint64_t trimmed_at_released_ = 0;  // PeerJS queued bytes released at the last malloc_trim
  std::vector<std::shared_ptr<WsSessionBase>> ticking_;  // reused; bounded by sessions_
};

}  // namespace peerkit::server
