// A WebSocket client (Boost.Beast) on one net::Loop for `peerkit join`: ws:// or wss://, the
// server's certificate verified by net/tls.h's client context (no switch turns that off; --ca
// trusts another CA). Every handler runs on the loop thread; on_close runs exactly once, with a
// sentence for people saying why (refused connection, certificate, HTTP status, close code).
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "net/loop.h"
#include "net/tls.h"

namespace peerkit::app {

struct WsUrl {
  bool tls = false;
  std::string host;  // without brackets
  std::uint16_t port = 0;
  std::string target;  // path and query, "/ws" by default
  std::string text;    // as given, for messages
};
// Accepts ws://, wss://, http:// and https:// (the web app's address: /ws is added when the path
// is empty or "/"). Empty error on success.
std::string parse_ws_url(const std::string& text, WsUrl& out);

class WsClient {
 public:
  struct Handlers {
    std::function<void()> on_open;
    std::function<void(std::string frame)> on_frame;
    std::function<void(std::string why, bool was_open)> on_close;
  };
  // `tls` is required for wss://.
  static std::shared_ptr<WsClient> create(net::Loop& loop, WsUrl url, net::TlsContextPtr tls,
                                          Handlers handlers);
  virtual ~WsClient() = default;
  virtual void start() = 0;
  // Queues a text frame (dropped once closing).
  virtual void send(std::string text) = 0;
  // Sends the queued frames, then a close frame (1000); on_close follows.
  virtual void close() = 0;
};

}  // namespace peerkit::app
