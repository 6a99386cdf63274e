// One HTTP connection (keep-alive) of `peerkit serve`, plain or TLS: answers requests through
// HttpRouter and hands WebSocket upgrades to the service. Requests are small and bounded:
// 8 KiB of headers, 16 KiB of body, a deadline per request.
#pragma once

#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>

#include "server/ws_session.h"

namespace peerkit::server {

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(SignalingService& service, Stream&& stream, ConnectionSlot slot)
      : service_(service), stream_(std::move(stream)), slot_(std::move(slot)) {}
  // For TLS the handshake runs first.
  void start();

 private:
  void read();
  void close();

  SignalingService& service_;
  Stream stream_;
  ConnectionSlot slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<Response> response_;
};

}  // namespace peerkit::server
