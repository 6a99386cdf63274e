// `peerkit serve` command line. PeerServer's option names and defaults (--port 9000, --path /,
// --key peerjs, --expire_timeout, --alive_timeout, --concurrent_limit, --allow_discovery,
// --cors, --sslcert/--sslkey) so that existing deployments carry over, plus peerkit's limits,
// TLS, the embedded TURN server and the ICE server list. docs/signaling.md lists them all.
#pragma once

#include <string>
#include <vector>

#include "server/config.h"

namespace peerkit::server {

struct ServeCommandLine {
  enum class Outcome { kRun, kHelp, kError };
  Outcome outcome = Outcome::kError;
  std::string message;  // help text or the error
  ServeConfig config;
  std::vector<std::string> warnings;
};

// args[0] is the program name shown in help ("peerkit serve"). `random_secret` seeds the
// embedded TURN server's REST secret (one per process, never printed).
ServeCommandLine parse_serve_command_line(const std::vector<std::string>& args,
                                          const std::string& random_secret);

}  // namespace peerkit::server
