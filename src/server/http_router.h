// HTTP routes of `peerkit serve`, as a pure function of the request (no sockets), unit-tested in
// tests/unit/server/http_router_test.cpp. Routes, with B = the PeerServer base path (--path):
//   B<key>/id, B<key>/peers, B (JSON banner)    PeerServer's HTTP API, with CORS (spec §1.2-1.3)
//   /api/ice-servers[?id=M]                     RTCConfiguration iceServers with TURN credentials
//   /healthz, /metrics                          liveness and Prometheus text
//   /, /index.html, /<asset>                    the embedded web app
// WebSocket upgrades: B + "peerjs" (PeerJS protocol) and /ws (rooms protocol).
//
// Origins (docs/signaling.md, "HTTP and origin limits"): TURN credentials (/api/ice-servers and
// the /ws welcome) go only to requests without an Origin (curl, native clients), from the
// server's own origin (http or https as TLS is off or on, host and port from Host), or from an
// origin given with --cors or --allow-origin; any other Origin gets 403 and no WebSocket. The
// PeerJS socket and PeerServer's API keep PeerServer's rule: any origin unless --cors is given.
#pragma once

#include <boost/beast/http.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

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
  // Refuses (403) a foreign Origin (see the top of this file).
  std::variant<Upgrade, Response> upgrade(const Request& request) const;
  // Whether this request may have TURN credentials and the rooms socket: no Origin, the
  // server's own origin, or a --cors / --allow-origin one.
  bool origin_allowed(const Request& request) const;
  // The iceServers JSON array for a member, using the Host the browser connected to.
  std::string ice_servers(std::string_view host_header, std::string_view member_id) const;
  const std::string& base() const { return base_; }
  // Cluster mode (--cluster): GET <key>/peers lists `peers()` instead of this node's ids, and
  // /healthz adds `health()`'s lines after "ok" (the node serves local clients even when Redis is
  // down, so it stays 200 for load balancers and says why it is degraded).
  void set_cluster(std::function<std::vector<std::string>()> peers,
                   std::function<std::string()> health) {
    cluster_peers_ = std::move(peers);
    cluster_health_ = std::move(health);
  }

 private:
  Response reply(const Request& request, http::status status, std::string_view type,
                 std::string body) const;
  void add_cors(const Request& request, Response& response) const;

  const ServeConfig& config_;
  const signaling::PeerJsServer& peerjs_;
  RandomSource& random_;
  std::function<std::string()> metrics_;
  std::function<std::int64_t()> unix_now_;
  std::function<std::vector<std::string>()> cluster_peers_;
  std::function<std::string()> cluster_health_;
  std::string base_;  // --path with a leading and a trailing slash
  std::vector<std::string> allowed_origins_;  // --cors and --allow-origin, normalised
};

// An Origin (RFC 6454 §6.2) as "scheme://host:port": lower case, the port explicit (80 or 443
// by scheme); empty when it is not an http or https origin (for example "null").
std::string normalize_origin(std::string_view origin);

// RFC 9112 §6.1 and §6.3 at the end of a request's header: a Transfer-Encoding other than one
// lone `chunked` (peerkit decodes no other coding), or one next to Content-Length, is answered
// 400 and the connection closed, so that no two parsers can frame the body differently.
std::optional<http::status> framing_error(const http::request_header<>& header);
// The answer to a request Beast could not parse (431 for headers over the limit, 413 for a body
// over it, 400 for the rest); nullopt when there is nobody to answer (the peer closed, timeout).
std::optional<http::status> parse_error_status(const boost::system::error_code& ec);
// A plain-text error answer that closes the connection.
Response error_response(http::status status, std::string_view text);
// The whole answer written to a connection refused by --max-connections(-per-ip), before
// closing it.
const std::string& connection_refused_response();

// A member id for /api/ice-servers callers that give none: 16 characters from [a-z2-7].
std::string random_member_id(RandomSource& random);

}  // namespace peerkit::server
