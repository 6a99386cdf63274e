// HTTP routes of `peerkit serve`, as a pure function of the request (no sockets), unit-tested in
// tests/unit/server/http_router_test.cpp. Routes, with B = the PeerServer base path (--path):
//   B<key>/id, B<key>/peers, B (JSON banner)    PeerServer's HTTP API, with CORS (spec §1.2-1.3)
//   /api/ice-servers[?id=M]                     RTCConfiguration iceServers with TURN credentials
//   /healthz, /metrics                          liveness and Prometheus text
//   /, /index.html, /<asset>                    the embedded web app
// WebSocket upgrades: B + "peerjs" (PeerJS protocol) and /ws (rooms protocol).
#pragma once

#include <boost/beast/http.hpp>
#include <functional>
#include <optional>
#include <string>

#include "common/random.h"
#include "server/config.h"
#include "signaling/peerjs_server.h"

namespace peerkit::server {

namespace http = boost::beast::http;
using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;

enum class SocketKind { kPeerJs, kRooms };

struct Upgrade {
  SocketKind kind;
  signaling::PeerJsConnectRequest peerjs;  // query of a PeerJS socket, percent-decoded
};

class HttpRouter {
 public:
  HttpRouter(const ServeConfig& config, const signaling::PeerJsServer& peerjs, RandomSource& random,
             std::function<std::string()> metrics, std::function<std::int64_t()> unix_now);

  Response handle(const Request& request) const;
  // Which WebSocket a request upgrades to, or an error response (unknown path, bad query).
  std::variant<Upgrade, Response> upgrade(const Request& request) const;
  // The iceServers JSON array for a member, using the Host the browser connected to.
  std::string ice_servers(std::string_view host_header, std::string_view member_id) const;
  const std::string& base() const { return base_; }

 private:
  Response reply(const Request& request, http::status status, std::string_view type,
                 std::string body) const;
  void add_cors(const Request& request, Response& response) const;

  const ServeConfig& config_;
  const signaling::PeerJsServer& peerjs_;
  RandomSource& random_;
  std::function<std::string()> metrics_;
  std::function<std::int64_t()> unix_now_;
  std::string base_;  // --path with a leading and a trailing slash
};

// A member id for /api/ice-servers callers that give none: 16 characters from [a-z2-7].
std::string random_member_id(RandomSource& random);

}  // namespace peerkit::server
