// One HTTP connection (keep-alive) of `peerkit serve`, plain or TLS: answers requests through
// HttpRouter and hands WebSocket upgrades to the node (SessionHost). Requests are small and
// bounded: 8 KiB of headers, 16 KiB of body, a deadline per request.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
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
  void close();

  SessionHost& host_;
  Stream stream_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Response> response_;
};

}  // namespace peerkit::server
