// One HTTP connection (keep-alive) of `peerkit serve`, plain or TLS: answers requests through
// HttpRouter and hands WebSocket upgrades to the node (SessionHost). Requests are small and
// bounded: 8 KiB of headers, 16 KiB of body, a deadline per request. A request that cannot be
// framed one way only (RFC 9112 §6.1, §6.3) or that Beast cannot parse is answered 400 (431 for
// headers over the limit, 413 for a body over it) and the connection closed.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <array>
#include <memory>
#include <optional>

#include "server/session_host.h"

namespace peerkit::server {

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(SessionHost& host, Stream&& stream, ConnectionSlot slot)
      : host_(host), stream_(std::move(stream)), slot_(std::move(slot)) {}
  // For TLS the handshake runs first.
  void start();

 private:
  void read();
  void failed(beast::error_code ec);  // a read or parse error: answer it or close
  void on_request();
  void answer(Response response);  // then the next request, or close
  void close();                    // shuts down sending, then lingers
  void linger();

  SessionHost& host_;
  Stream stream_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Response> response_;
  std::array<char, 4096> drain_;
  std::size_t lingered_ = 0;
};

}  // namespace peerkit::server
