// `peerkit turn` command line and configuration file: coturn's long option names (and short
// ones), coturn's turnserver.conf rules, CLI options overriding the file. One table
// (turn_options.cpp) defines every option once: its names, help text, and how it sets
// TurnServiceConfig. Options peerkit recognises but does not implement are accepted with a
// one-line warning, as are coturn's removed options; unknown keys in the file warn, unknown
// command-line options and invalid values are errors.
#pragma once

#include <string>
#include <vector>

#include "turn/service/config.h"

namespace peerkit::turn {

struct TurnCommandLine {
  enum class Outcome { kRun, kHelp, kError };
  Outcome outcome = Outcome::kError;
  std::string message;  // help text or the error
  TurnServiceConfig config;
  std::vector<std::string> warnings;
  std::string config_file;  // the file that was read, if any
};

// argv[0] is the program name as shown in help ("peerkit turn").
TurnCommandLine parse_turn_command_line(const std::vector<std::string>& args);

}  // namespace peerkit::turn
