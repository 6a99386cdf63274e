// Logging on spdlog. One line per event, `key=value` fields after a short message, so logs are
// both readable and greppable. Secrets (passwords, keys, REST secrets, nonces) are never passed
// to the logger; usernames and addresses are.
#pragma once

#include <spdlog/spdlog.h>

#include <string>

namespace peerkit::log {

struct Options {
  std::string level = "info";  // trace, debug, info, warn, error
  std::string file;            // empty or "stdout"/"-": standard error; else append to the file
};

// Returns an error message, or empty on success.
std::string init(const Options& options);

}  // namespace peerkit::log
