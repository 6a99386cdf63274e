// What an HTTP or WebSocket session of `peerkit serve` may ask of the node that owns it: the
// narrow interface between the sessions (http_session, ws_session) and ServeNode, so that
// neither includes the other. Everything here runs on the node's loop thread.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "server/coalescing_stream.h"
#include "server/http_router.h"
#include "signaling/rate_limiter.h"
#include "signaling/transport.h"

namespace peerkit::server {

namespace beast = boost::beast;

// HTTP runs on Beast's tcp_stream (per-request deadlines). After the upgrade a plain WebSocket
// runs on a bare socket bound to the io_context's concrete executor: the WebSocket keeps its own
// timeouts, and skipping tcp_stream's timer bookkeeping and the type-erased executor is a
// measurable share of the per-message CPU (docs/benchmarks.md, T5).
using PlainStream = beast::tcp_stream;
using PlainSocket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// Open TCP connections, in total and per client address. Shared with every ConnectionSlot so
// that a session destroyed late (e.g. a handler dropped with the io_context at shutdown) never
// touches a node that is already gone.
struct ConnectionBook {
  // Per address = per client_key (IPv6 by `ipv6_prefix`, --ipv6-limit-prefix).
  ConnectionBook(std::uint32_t per_address_limit, std::uint8_t ipv6_prefix)
      : per_address(per_address_limit, ipv6_prefix) {}
  std::size_t open = 0;
  signaling::ConnectionsPerAddress per_address;
};

// Releases the connection's place in the book when the last owner goes away.
class ConnectionSlot {
 public:
  ConnectionSlot(std::shared_ptr<ConnectionBook> book, IpAddress address)
      : book_(std::move(book)), address_(address) {}
  ConnectionSlot(ConnectionSlot&& o) noexcept = default;
  ConnectionSlot& operator=(ConnectionSlot&&) = delete;
  ~ConnectionSlot() {
    if (!book_) return;
    book_->per_address.release(address_);
    --book_->open;
  }
  const IpAddress& address() const { return address_; }

 private:
  std::shared_ptr<ConnectionBook> book_;
  IpAddress address_;
};

struct DriverStats {
  std::uint64_t http_requests = 0;
  std::uint64_t connections_accepted = 0;
  std::uint64_t connections_refused = 0;  // over --max-connections or --max-connections-per-ip
  std::uint64_t write_queue_overflows = 0;
  std::uint64_t frames_in = 0;
  std::uint64_t frames_out = 0;
};

// The limits a session enforces (from ServeConfig).
struct SessionLimits {
  std::size_t max_frame_bytes = 64 * 1024;
  std::size_t write_queue_bytes = 1 << 20;
  std::size_t write_queue_messages = 4096;
  std::chrono::seconds handshake_timeout{10};  // also bounds a close that cannot be sent
  std::chrono::seconds idle_timeout{60};  // 0: none
};

// A WebSocket session as the node sees it.
class WsSessionBase {
 public:
  virtual ~WsSessionBase() = default;
  // Queues one text frame (copied); false when the session is closing or its queue is full.
  virtual bool send(std::string_view text) = 0;
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
  // Every idle_timeout / 2 (the node's one tick for all sessions): a ping after a silent
  // period, and the connection closed after a second one.
  virtual void idle_tick() = 0;
};

class SessionHost {
 public:
  virtual const SessionLimits& limits() const = 0;
  virtual const HttpRouter& router() const = 0;
  virtual DriverStats& stats() = 0;
  virtual bool stopping() const = 0;
  virtual LoopRound& round() = 0;

  // An HTTP session hands over a request that upgrades; the host starts the WebSocket.
  virtual void upgrade(PlainStream&& stream, ConnectionSlot slot, Upgrade upgrade,
                       Request request) = 0;
  virtual void upgrade(TlsStream&& stream, ConnectionSlot slot, Upgrade upgrade,
                       Request request) = 0;

  // A WebSocket session after its handshake, per frame, and once when it is gone (only after
  // on_ws_open): when its socket closes, or on the next loop turn after its write queue
  // overflowed (the socket may linger to deliver the 1008 close; nothing more is reported from
  // it). The host may call send/close on the session from inside these.
  virtual void on_ws_open(signaling::SessionId id, const Upgrade& upgrade, std::string_view host,
                          const IpAddress& address, std::shared_ptr<WsSessionBase> session) = 0;
  virtual void on_ws_message(signaling::SessionId id, SocketKind kind, std::string_view text) = 0;
  virtual void on_ws_closed(signaling::SessionId id, SocketKind kind) = 0;

 protected:
  ~SessionHost() = default;
};

}  // namespace peerkit::server
