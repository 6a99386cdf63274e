#pragma once

#include <string>
#include <vector>

namespace peerkit::app {

// args[0] is "peerkit <command>"; the return value is the process exit code.
int run_turn(const std::vector<std::string>& args);
int run_serve(const std::vector<std::string>& args);
int run_join(const std::vector<std::string>& args);

}  // namespace peerkit::app
