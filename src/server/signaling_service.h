// `peerkit serve` as a running service: one event loop thread for HTTP, both WebSocket
// protocols and their cores (the cores are single-threaded by design; one loop per thread),
// optionally TLS, and the embedded STUN/TURN service on its own workers.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <memory>
#include <string>
#include <unordered_map>

#include "common/random.h"
#include "net/loop.h"
#include "net/tls.h"
#include "server/config.h"
#include "server/http_router.h"
#include "server/ws_session.h"
#include "signaling/peerjs_server.h"
#include "signaling/rate_limiter.h"
#include "signaling/rooms_server.h"
#include "turn/service/turn_service.h"

namespace peerkit::server {

struct DriverStats {
  std::uint64_t http_requests = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over --max-connections or --max-connections-per-ip
  std::uint64_t write_queue_overflows = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
};

class SignalingService final : public signaling::Transport {
 public:
  explicit SignalingService(ServeConfig config);
  ~SignalingService() override;

  // Binds, starts the TURN service and the loop thread. An error text on failure.
  std::string start();
  // Closes every WebSocket with 1001, waits up to the grace period, stops everything.
  void stop();
  std::string reload_tls();
  std::uint16_t port() const { return port_; }
  const ServeConfig& config() const { return config_; }
  std::string metrics_text() const;  // on the loop thread only

  // signaling::Transport (loop thread).
  bool send(signaling::SessionId session, std::string text) override;
  void close(signaling::SessionId session, std::uint16_t code, std::string_view reason) override;

  // Called by the sessions (loop thread).
  void on_ws_open(signaling::SessionId id, const Upgrade& upgrade, std::string_view host,
                  std::shared_ptr<WsSessionBase> session);
  void on_ws_message(signaling::SessionId id, SocketKind kind, std::string_view text);
  void on_ws_closed(signaling::SessionId id, SocketKind kind);
  void upgrade(PlainStream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request);
  void upgrade(TlsStream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request);
  const HttpRouter& router() const { return *router_; }
  DriverStats& stats() { return stats_; }
  bool stopping() const { return stopping_; }

 private:
  void accept();
  void on_timeout(Timestamp now);
  template <class Stream>
  void start_ws(Stream&& stream, ConnectionSlot slot, Upgrade upgrade, Request request);

  ServeConfig config_;
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
  std::unordered_map<signaling::SessionId, std::shared_ptr<WsSessionBase>> sessions_;
  signaling::SessionId next_session_ = 1;
  std::shared_ptr<ConnectionBook> connections_;
  DriverStats stats_;
  bool stopping_ = false;
};

}  // namespace peerkit::server
