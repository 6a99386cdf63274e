// `peerkit serve` configuration. PeerServer's option names and defaults (--port 9000, --path /,
// --key peerjs, --expire_timeout, --alive_timeout, --concurrent_limit, --allow_discovery,
// --cors, --sslcert/--sslkey) so that existing deployments carry over, plus peerkit's limits,
// TLS, the embedded TURN server and the ICE server list. docs/signaling.md lists them all. The
// command line itself is parsed in apps/peerkit/serve_cli.cpp; this is what it hands over, and
// how that becomes a ServeConfig.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/config.h"

namespace peerkit::server {

// What the command line gave: ServeConfig's own fields set directly, the rest as written.
struct ServeOptions {
  ServeConfig config;
  std::string host = "127.0.0.1";
  std::int64_t expire_ms = 5000, alive_ms = 90000;
  bool proxied = false;
  std::string tls_cert, tls_key;
  bool no_turn = false;
  std::uint16_t turn_port = 3478;
  std::string turn_ip, turn_public_host;
  unsigned turn_workers = 1;
  std::int64_t ttl = 43200;
  std::vector<std::string> ice_urls;
  std::string ice_secret_file;  // --ice-secret-file: the REST secret kept across restarts
  std::string cluster_url;            // --cluster redis://…
  std::string cluster_password_file;  // --cluster-password-file
  bool no_sfu = false;
  std::string sfu_ip, sfu_announce;  // default: --host, and then the bound address
};

struct ServeSettings {
  std::string error;  // empty when `config` may be run
  ServeConfig config;
  std::vector<std::string> warnings;
};

// Checks the options and fills in what follows from them: durations, TLS files, the ICE server
// list and the embedded TURN server's configuration. `random_secret` seeds that server's REST
// secret (one per process, never printed).
ServeSettings configure_serve(ServeOptions options, const std::string& random_secret);

}  // namespace peerkit::server
