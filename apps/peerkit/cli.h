// The command lines of `peerkit turn` and `peerkit serve` (CLI11 lives here, in the app, not in
// the libraries). Both give one shape: run this configuration, or exit now with this code and
// message (help on stdout, a usage error on stderr).
#pragma once

#include <string>
#include <vector>

#include "server/config.h"
#include "turn/service/config.h"

namespace peerkit::app {

template <class Config>
struct ParsedCommand {
  enum class Action { kRun, kExit };
  Action action = Action::kExit;
  int exit_code = 2;    // with kExit: 0 after --help, 2 for a usage or configuration error
  std::string message;  // with kExit: the help text or the error
  Config config;        // with kRun
  std::vector<std::string> warnings;  // to log once logging is set up
  std::string config_file;            // the configuration file that was read, if any

  // Run `config`, unless the check that made it found `error`.
  static ParsedCommand checked(std::string error, Config config,
                               std::vector<std::string> warnings) {
    ParsedCommand p = exit(2, std::move(error));
    if (p.message.empty()) {
      p.action = Action::kRun;
      p.exit_code = 0;
      p.config = std::move(config);
    }
    p.warnings = std::move(warnings);
    return p;
  }
  static ParsedCommand exit(int code, std::string message) {
    ParsedCommand p;
    p.exit_code = code;
    p.message = std::move(message);
    return p;
  }
};

// args[0] is the program name as shown in help ("peerkit turn").
ParsedCommand<turn::TurnServiceConfig> parse_turn_cli(const std::vector<std::string>& args);
// `random_secret` seeds the embedded TURN server's REST secret (one per process, never printed).
ParsedCommand<server::ServeConfig> parse_serve_cli(const std::vector<std::string>& args,
                                                   const std::string& random_secret);

}  // namespace peerkit::app
