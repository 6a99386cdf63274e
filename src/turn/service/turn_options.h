// `peerkit turn` configuration: coturn's long option names (and short ones), coturn's
// turnserver.conf rules, command-line options overriding the file. One table
// (turn_option_table.cpp) defines every option once: its names, help text, and how it sets
// TurnServiceConfig. Options peerkit recognises but does not implement are accepted with a
// one-line warning, as are coturn's removed options; unknown keys in the file warn, invalid
// values are errors. The command line itself is parsed in apps/peerkit/turn_cli.cpp; this is
// what it hands over, read into a TurnServiceConfig.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "turn/service/config.h"

namespace peerkit::turn {

// What the command line gave, before any file is read.
struct TurnOptionValues {
  std::string config_path;  // -c; empty: coturn's search path
  bool no_config = false;   // -n
  // Per option name of the table, every occurrence on the command line, in order.
  std::map<std::string, std::vector<std::string>> values;
};

struct TurnSettings {
  std::string error;  // empty when `config` may be run
  TurnServiceConfig config;
  std::vector<std::string> warnings;
  std::string config_file;  // the file that was read, if any
};

// The configuration file first (coturn: pass 1 without users, the command line, then users),
// the command line overriding it, then the checks that make a configuration runnable.
TurnSettings configure_turn(const TurnOptionValues& given);

}  // namespace peerkit::turn
