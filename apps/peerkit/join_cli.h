// `peerkit join`'s command line: the options, checked, or how to exit.
#pragma once

#include <string>
#include <vector>

#include "apps/peerkit/cli.h"

namespace peerkit::app {

struct JoinOptions {
  std::string server, room, name = "peerkit";
  bool echo = false;
  std::string send_file, recv_dir;
  std::string ca_file;      // extra CA (PEM) for wss://
  std::string host_filter;  // Configuration::host_filter: which local addresses are candidates
  bool allow_loopback = false;
  bool relay_only = false;
  std::string log_level = "warn";
};

ParsedCommand<JoinOptions> parse_join_cli(const std::vector<std::string>& args);

}  // namespace peerkit::app
