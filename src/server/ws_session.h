// One WebSocket connection of `peerkit serve` (Boost.Beast), plain or TLS. Frames go to the
// service (and from there to a protocol core); outgoing frames wait in a bounded queue: a reader
// too slow to keep the queue under its limits is closed (1008) instead of growing memory.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <memory>
#include <string>
#include <vector>

#include "server/http_router.h"
#include "signaling/rate_limiter.h"
#include "signaling/transport.h"

namespace peerkit::server {

namespace beast = boost::beast;
namespace websocket = beast::websocket;

class SignalingService;

// Open TCP connections, in total and per client address. Shared with every ConnectionSlot so
// that a session destroyed late (e.g. a handler dropped with the io_context at shutdown) never
// touches a service that is already gone.
struct ConnectionBook {
  explicit ConnectionBook(std::uint32_t per_address_limit) : per_address(per_address_limit) {}
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

class WsSessionBase {
 public:
  virtual ~WsSessionBase() = default;
  virtual bool send(std::string text) = 0;
  virtual void close(std::uint16_t code, std::string_view reason) = 0;
};

template <class Stream>
class WsSession final : public WsSessionBase,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  WsSession(SignalingService& service, Stream&& stream, ConnectionSlot slot,
            signaling::SessionId id, Upgrade upgrade);
  void start(Request request);
  bool send(std::string text) override;
  void close(std::uint16_t code, std::string_view reason) override;

 private:
  void read();
  void write_next();
  void finish();

  SignalingService& service_;
  websocket::stream<Stream> ws_;
  ConnectionSlot slot_;
  signaling::SessionId id_;
  Upgrade upgrade_;
  std::string host_;  // Host header of the upgrade, for the rooms `welcome` ICE URLs
  beast::flat_buffer buffer_;
  std::vector<std::string> pending_;  // frames to write; pending_[head_] is being written
  std::size_t head_ = 0;
  std::size_t pending_bytes_ = 0;
  bool writing_ = false;
  bool opened_ = false;
  bool close_requested_ = false;
  bool closing_ = false;
  bool finished_ = false;
  websocket::close_reason close_reason_;
};

// HTTP runs on Beast's tcp_stream (per-request deadlines). After the upgrade a plain WebSocket
// runs on a bare socket bound to the io_context's concrete executor: the WebSocket keeps its own
// timeouts, and skipping tcp_stream's timer bookkeeping and the type-erased executor is a
// measurable share of the per-message CPU (docs/benchmarks.md, T5).
using PlainStream = beast::tcp_stream;
using PlainSocket =
    boost::asio::basic_stream_socket<boost::asio::ip::tcp, boost::asio::io_context::executor_type>;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

}  // namespace peerkit::server
